import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import send from 'koa-send';
import { bandwidth, type BandwidthMiddleware } from '../../lib/index';
import type { ResponseRecord } from '../../lib/observe/response-record';
import { sleep, until } from './http-client';

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const REQUEST = 'GET /big.bin HTTP/1.1\r\nHost: a.test\r\n\r\n';

interface Server {
  bw: BandwidthMiddleware;
  port: number;
  server: http.Server | http2.Http2Server;
  records: ResponseRecord[];
  /** Resolves the hold of `/held` requests: downstream sets the body only then. */
  letGo(): void;
  /** Resolves once a `/held` request reached downstream. */
  arrived: Promise<void>;
  close(): Promise<void>;
}

async function start(dir: string, metered: boolean, h2 = false): Promise<Server> {
  const rules = metered ? ['$URL[*], 80, 100, 0'] : [];
  const bw = bandwidth({ config: { defaults: { throttling: true }, vhosts: [{ name: 'a.test', rules }], default: 'a.test' } });
  const records: ResponseRecord[] = [];
  bw.events.on('response', (r: ResponseRecord) => records.push(r));
  let letGo = (): void => {};
  let reached = (): void => {};
  const held = new Promise<void>((r) => (letGo = r));
  const arrived = new Promise<void>((r) => (reached = r));
  const app = new Koa();
  app.silent = true;
  app.use(bw);
  app.use(async (ctx) => {
    if (ctx.path === '/held') {
      reached();
      await held;
    }
    await send(ctx, 'big.bin', { root: dir });
  });
  const server = h2 ? http2.createServer(app.callback()) : http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    bw,
    port: (server.address() as net.AddressInfo).port,
    server,
    records,
    letGo,
    arrived,
    async close() {
      if (server instanceof http.Server) server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await bw.close();
    },
  };
}

/** A raw connection that sends `text` and calls `onData` with the byte count so far. */
function connect(port: number, text: string, onData: (got: number, s: net.Socket) => void): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let got = 0;
    s.on('data', (c: Buffer) => onData((got += c.length), s));
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

/** The ways a response can end before its last byte. */
const ENDINGS: Record<string, (srv: Server) => Promise<void>> = {
  'the client closes the connection mid-response': (srv) => connect(srv.port, REQUEST, (got, s) => got >= 1000 && s.destroy()),
  'the server destroys the socket mid-response': (srv) => connect(srv.port, REQUEST, (got) => got >= 1000 && (srv.server as http.Server).closeAllConnections()),
  'a pipelined response never starts': (srv) => connect(srv.port, REQUEST.repeat(2), (got, s) => got >= 100 && s.destroy()),
  'the client goes while downstream still runs': async (srv) => {
    const s = net.connect(srv.port, '127.0.0.1', () => s.write('GET /held HTTP/1.1\r\nHost: a.test\r\n\r\n'));
    s.on('error', () => {});
    await srv.arrived;
    s.destroy();
    await sleep(50);
    srv.letGo();
  },
  'an HTTP/2 stream is reset': async (srv) => {
    const client = http2.connect(`http://127.0.0.1:${srv.port}`);
    await new Promise<void>((resolve) => {
      const req = client.request({ ':path': '/big.bin', ':authority': 'a.test' });
      let got = 0;
      req.on('data', (c: Buffer) => {
        got += c.length;
        if (got >= 1000 && !req.closed) req.close(http2.constants.NGHTTP2_CANCEL);
      });
      req.on('close', () => resolve());
      req.on('error', () => resolve());
    });
    // The connection stays: only the stream went.
    await sleep(50);
    expect(client.closed).toBe(false);
    client.close();
  },
};

describe.each([
  ['metered', true],
  ['unmetered', false],
])('a %s response is released', (_name, metered) => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'release-'));
    fs.writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(600_000, 3));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(ENDINGS))('when %s', async (ending) => {
    const srv = await start(dir, metered, ending.includes('HTTP/2'));
    try {
      const { engine, unmetered } = srv.bw.runtime;
      const fdsBefore = fdCount();
      await ENDINGS[ending]!(srv);
      const released = (): boolean =>
        srv.records.length > 0 && srv.bw.stats().sessions.length === 0 && unmetered.activeSessions === 0 && engine.activeSessions === 0 && engine.pendingTimers === 0 && engine.openFiles === 0 && fdCount() <= fdsBefore;
      expect(await until(released, 10_000)).toBe(true);
      expect(srv.records.every((r) => r.aborted)).toBe(true);
    } finally {
      await srv.close();
    }
  });
});
