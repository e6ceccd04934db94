import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import Koa from 'koa';
import { statsEndpoints, type StatsEndpoints } from '../../lib/index';
import type { StatsSnapshot } from '../../lib/types';
import { listen, sleep, until } from './http-client';

/** A stats source that numbers its snapshots and can pad them to a size. */
function countingSource(padBytes = 0) {
  let calls = 0;
  const pad = 'x'.repeat(padBytes);
  return {
    events: new EventEmitter(),
    get calls() {
      return calls;
    },
    stats(): StatsSnapshot {
      calls++;
      return { time: calls, vhosts: [], sessions: [], ...(padBytes ? { pad } : {}) } as StatsSnapshot;
    },
  };
}

/** An SSE client that collects the `time` of every snapshot it reads. */
function reader(port: number): Promise<{ times: number[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    let buf = '';
    const req = http.get({ host: '127.0.0.1', port, path: '/_bandwidth/events', agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data) times.push((JSON.parse(data.slice(6)) as StatsSnapshot).time);
        }
      });
      resolve({ times, close: () => req.destroy() });
    });
    req.on('error', () => {});
    req.setTimeout(10_000, () => reject(new Error('no response')));
  });
}

async function serve(source: ReturnType<typeof countingSource>, opts: { intervalMs: number; maxQueuedBytes?: number }) {
  const ep: StatsEndpoints = statsEndpoints(source, opts);
  const app = new Koa();
  app.silent = true;
  app.use(ep);
  const srv = await listen(app);
  return { ep, port: srv.port, close: async () => (ep.close(), await srv.close()) };
}

describe('/_bandwidth/events', () => {
  it('serialises each snapshot once for all its clients, and sends them all the same frames', async () => {
    const source = countingSource();
    const { ep, port, close } = await serve(source, { intervalMs: 50 });
    try {
      const clients = await Promise.all(Array.from({ length: 20 }, () => reader(port)));
      expect(ep.clients).toBe(20);
      const callsAtStart = source.calls;
      const t0 = performance.now();
      await until(() => clients.every((c) => c.times.length >= 8), 10_000);
      const ticks = (performance.now() - t0) / 50;
      // One stats() per interval, not one per client per interval (that would be ≥ 20 × 8).
      expect(source.calls - callsAtStart).toBeLessThanOrEqual(ticks + 2);
      expect(source.calls).toBeLessThan(40);
      // Every client saw the same snapshots from the first tick they all shared.
      const shared = Math.max(...clients.map((c) => c.times[0] as number));
      const seen = (c: { times: number[] }): number[] => c.times.filter((t) => t >= shared).slice(0, 6);
      for (const c of clients) expect(seen(c)).toEqual(seen(clients[0]!));
      expect(seen(clients[0]!)).toHaveLength(6);
      for (const c of clients) c.close();
      expect(await until(() => ep.clients === 0, 10_000)).toBe(true);
      // No client, no timer: no more snapshots.
      const idle = source.calls;
      await sleep(200);
      expect(source.calls).toBe(idle);
    } finally {
      await close();
    }
  });

  it('drops a client that does not read, and keeps the one that does', async () => {
    // 256 KB snapshots every 20 ms: a client that reads nothing fills the socket buffers fast.
    const source = countingSource(256 * 1024);
    const { ep, port, close } = await serve(source, { intervalMs: 20, maxQueuedBytes: 1024 * 1024 });
    try {
      const good = await reader(port);
      const stalled = net.connect(port, '127.0.0.1', () => stalled.write('GET /_bandwidth/events HTTP/1.1\r\nHost: a\r\n\r\n'));
      stalled.pause();
      let stalledClosed = false;
      stalled.on('close', () => (stalledClosed = true));
      stalled.on('error', () => {});
      expect(await until(() => ep.dropped === 1, 20_000)).toBe(true);
      expect(ep.clients).toBe(1);
      stalled.resume(); // read what arrived, then see the end
      expect(await until(() => stalledClosed, 10_000)).toBe(true);
      const before = good.times.length;
      expect(await until(() => good.times.length > before + 3, 10_000)).toBe(true);
      expect(ep.dropped).toBe(1);
      good.close();
    } finally {
      await close();
    }
  }, 40_000);
});
