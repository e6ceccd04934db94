/**
 * Regression: two pipelined GETs per connection, aborted after ~100 bytes, left the second
 * (never started) response's session in `stats()`, the metrics and the store's lease weight
 * for as long as the process lived, and an unmetered one kept koa-send's file descriptor:
 * Node emits no 'close' on a queued pipelined ServerResponse, only on its request and socket.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import Koa from 'koa';
import send from 'koa-send';
import { bandwidth, type BandwidthMiddleware } from '../../lib/index';
import { memoryStore } from '../../lib/store/memory-store';
import type { CapStore } from '../../lib/types';
import { until } from '../observe/http-client';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const CONNECTIONS = 2000;
const AT_ONCE = 50;

/** A memory store that remembers the weight (active sessions) of each lease. */
function weighingStore(): CapStore & { weights: number[] } {
  const inner = memoryStore();
  const weights: number[] = [];
  return {
    kind: 'weighing',
    weights,
    get degraded() {
      return inner.degraded;
    },
    lease(vhost, cap, want, activeSessions) {
      weights.push(activeSessions);
      return inner.lease(vhost, cap, want, activeSessions);
    },
    close: () => inner.close(),
  };
}

interface Server {
  bw: BandwidthMiddleware;
  port: number;
  close(): Promise<void>;
}

async function start(dir: string, rules: string[], trafficCapMbps: number, store: CapStore): Promise<Server> {
  const bw = bandwidth({ store, config: { defaults: { throttling: true }, vhosts: [{ name: 'a.test', rules, options: { trafficCap: trafficCapMbps } }], default: 'a.test' } });
  const app = new Koa();
  app.silent = true;
  app.use(bw);
  app.use(async (ctx) => {
    await send(ctx, 'big.bin', { root: dir });
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    bw,
    port: (server.address() as net.AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await bw.close();
    },
  };
}

/** One connection: two pipelined GETs, destroyed once ~100 bytes have arrived. */
function abortedPair(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /big.bin HTTP/1.1\r\nHost: a.test\r\n\r\n'.repeat(2)));
    let got = 0;
    s.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= 100) s.destroy();
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

async function abortMany(port: number, n: number): Promise<void> {
  for (let done = 0; done < n; done += AT_ONCE) await Promise.all(Array.from({ length: Math.min(AT_ONCE, n - done) }, () => abortedPair(port)));
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** One whole download on a fresh connection. */
function download(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/big.bin', headers: { host: 'a.test' }, agent: false }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
      })
      .on('error', reject);
  });
}

describe.each([
  // name, rules, TrafficCap (Mbps)
  ['metered by BT', ['$URL[*], 80, 100, 0'], 0],
  ['metered by a TrafficCap', [], 80],
  ['unmetered', [], 0],
])('%s: 2,000 connections of two pipelined GETs, aborted after 100 bytes', (_name, rules, trafficCap) => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipelined-'));
    fs.writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(600_000, 3));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('leave no session, no descriptor, no timer, no lease weight and no heap behind', async () => {
    const store = weighingStore();
    const srv = await start(dir, rules, trafficCap, store);
    try {
      const { engine, unmetered } = srv.bw.runtime;
      const idle = (): boolean => srv.bw.stats().sessions.length === 0 && unmetered.activeSessions === 0 && engine.activeSessions === 0 && engine.pendingTimers === 0 && engine.openFiles === 0;
      // Warm up (code, pools, the server's bookkeeping), then take the baseline.
      await abortMany(srv.port, 100);
      expect(await until(idle, 10_000)).toBe(true);
      const fdsBefore = fdCount();
      const heapBefore = heapAfterGc();

      await abortMany(srv.port, CONNECTIONS);

      expect(await until(idle, 10_000)).toBe(true);
      expect(srv.bw.stats().vhosts.find((v) => v.name === 'a.test')?.activeSessions).toBe(0);
      expect(await until(() => fdCount() <= fdsBefore, 10_000)).toBe(true);
      expect(heapAfterGc()).toBeLessThan(heapBefore * 1.1);
      if (trafficCap > 0) {
        // The next download is the only session the store hears of.
        store.weights.length = 0;
        expect(await download(srv.port)).toBe(600_000);
        expect(store.weights.length).toBeGreaterThan(0);
        expect(Math.max(...store.weights)).toBe(1);
      }
    } finally {
      await srv.close();
    }
  }, 60_000);
});
