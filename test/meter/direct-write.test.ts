import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import send from 'koa-send';
import { CHUNK_MAX } from '../../lib/meter/flow';
import { createEngine } from '../../lib/meter/engine';
import { MeteredBody } from '../../lib/meter/metered-body';
import { sessionKey } from '../../lib/session-key';
import { get, listen } from './http-app';

const SIZE = 600_000;
const pattern = (seed: number, n = SIZE): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed) % 251;
  return b;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(10);
  return cond();
}

/** A Koa file server on the engine: `/<name>?rate=B/s`; the bodies and responses are kept for the tests. */
function fileServer(dir: string) {
  const engine = createEngine();
  const app = new Koa();
  app.silent = true;
  const bodies: MeteredBody[] = [];
  const responses: http.ServerResponse[] = [];
  app.use(async (ctx, next) => {
    await next();
    const rate = Number(ctx.query.rate ?? 0);
    engine.wrapBody(ctx, { vhost: 'www', session: sessionKey(ctx), rate: rate > 0 ? rate : null, boostBytes: 0, sessionCap: 0, trafficCap: 0, exempt: [], ip: ctx.ip });
    if (ctx.body instanceof MeteredBody) {
      bodies.push(ctx.body);
      responses.push(ctx.res);
    }
  });
  app.use(async (ctx) => {
    await send(ctx, ctx.path.slice(1), { root: dir });
  });
  const server = http.createServer(app.callback());
  return { engine, server, bodies, responses };
}

/** A download that reports its bytes as they come, and how it ended. */
function download(port: number, p: string): { bytes: () => number; done: Promise<{ body: Buffer; complete: boolean; ms: number }> } {
  const chunks: Buffer[] = [];
  let n = 0;
  const t0 = performance.now();
  const done = new Promise<{ body: Buffer; complete: boolean; ms: number }>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      const length = Number(res.headers['content-length']);
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        n += c.length;
      });
      const finish = (): void => resolve({ body: Buffer.concat(chunks), complete: n === length && res.complete, ms: performance.now() - t0 });
      res.on('end', finish);
      res.on('error', () => {});
      res.on('close', finish);
    });
    req.on('error', () => resolve({ body: Buffer.concat(chunks), complete: false, ms: performance.now() - t0 }));
  });
  return { bytes: () => n, done };
}

/** Closes a file server, its engine and connections, and removes its media directory. */
async function closeAll(srv: ReturnType<typeof fileServer>, dir: string): Promise<void> {
  await srv.engine.close();
  srv.server.closeAllConnections();
  await new Promise((r) => srv.server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
}

describe('direct socket writes (plain HTTP/1.1)', () => {
  let dir: string;
  let srv: ReturnType<typeof fileServer>;
  let port: number;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'direct-'));
    fs.writeFileSync(path.join(dir, 'a.bin'), pattern(1));
    srv = fileServer(dir);
    port = await listen(srv.server);
  });
  afterEach(() => closeAll(srv, dir));

  it('sends the exact bytes at the rate, straight to the socket, and the response finishes', async () => {
    // 600 000 bytes at 400 000 B/s: 1.5 s.
    const r = await get(port, '/a.bin?rate=400000');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(SIZE));
    expect(r.body.equals(pattern(1))).toBe(true);
    expect(r.ms).toBeGreaterThan(1200);
    expect(r.ms).toBeLessThan(3500);
    expect(srv.bodies[0]!.direct).toBe(true);
    expect(srv.responses[0]!.writableFinished).toBe(true);
    expect(await until(() => srv.engine.openFiles === 0 && srv.engine.activeSessions === 0, 1000)).toBe(true);
  });

  it('serves two metered responses in turn on one keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await get(port, '/a.bin?rate=2000000', { agent });
      const b = await get(port, '/a.bin?rate=2000000', { agent });
      expect(a.body.equals(pattern(1))).toBe(true);
      expect(b.body.equals(pattern(1))).toBe(true);
      expect(srv.responses[0]!.socket ?? srv.responses[1]!.socket).toBeDefined();
      expect(srv.bodies.map((x) => x.direct)).toEqual([true, true]);
    } finally {
      agent.destroy();
    }
  });

  it('skips a socket that stops reading: user-space bytes per stalled connection stay under one write', async () => {
    // 64 MB (sparse) at 40 MB/s to a client that never reads: the kernel's buffers fill, then
    // the body waits instead of queueing more.
    const fd = fs.openSync(path.join(dir, 'huge.bin'), 'w');
    fs.ftruncateSync(fd, 64 * 1024 * 1024);
    fs.closeSync(fd);
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.pause();
    sock.write('GET /huge.bin?rate=40000000 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await until(() => srv.bodies.length === 1, 2000)).toBe(true);
    const body = srv.bodies[0]!;
    const res = srv.responses[0]!;
    expect(await until(() => body.direct, 1000)).toBe(true);
    let maxQueued = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 2500) {
      maxQueued = Math.max(maxQueued, res.socket?.writableLength ?? 0);
      await sleep(5);
    }
    // The kernel took what its buffers hold (a few MB on loopback), far from 40 MB/s × 2.5 s;
    // in user space the connection never held more than one write.
    expect(body.flow.sent).toBeGreaterThan(100_000);
    expect(body.flow.sent).toBeLessThan(24_000_000);
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(CHUNK_MAX);
    expect(body.destroyed).toBe(false);
    sock.destroy();
    expect(await until(() => srv.engine.openFiles === 0 && srv.engine.activeSessions === 0 && srv.engine.pendingTimers === 0, 2000)).toBe(true);
  });
});

describe('a file that changes under a download', () => {
  let dir: string;
  let file: string;
  let srv: ReturnType<typeof fileServer>;
  let port: number;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'change-'));
    file = path.join(dir, 'a.bin');
    fs.writeFileSync(file, pattern(1));
    srv = fileServer(dir);
    port = await listen(srv.server);
  });
  afterEach(() => closeAll(srv, dir));

  it('rename-replace: the download keeps the old file whole; a new request gets the new one', async () => {
    const d = download(port, '/a.bin?rate=300000');
    expect(await until(() => d.bytes() > 50_000, 3000)).toBe(true);
    fs.writeFileSync(`${file}.tmp`, pattern(2, 400_000));
    fs.renameSync(`${file}.tmp`, file);
    const fresh = await get(port, '/a.bin?rate=4000000');
    expect(fresh.body.equals(pattern(2, 400_000))).toBe(true);
    const r = await d.done;
    expect(r.complete).toBe(true);
    expect(r.body.equals(pattern(1))).toBe(true);
    expect(await until(() => srv.engine.openFiles === 0, 1000)).toBe(true);
  });

  it('in-place rewrite: every 256 KiB block of the body is wholly the old or wholly the new version', async () => {
    const d = download(port, '/a.bin?rate=300000');
    expect(await until(() => d.bytes() > 50_000, 3000)).toBe(true);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, pattern(2), 0, SIZE, 0);
    fs.closeSync(fd);
    const r = await d.done;
    expect(r.complete).toBe(true);
    const versions: number[] = [];
    for (let at = 0; at < SIZE; at += 256 * 1024) {
      const got = r.body.subarray(at, Math.min(SIZE, at + 256 * 1024));
      const v = [1, 2].find((seed) => got.equals(pattern(seed).subarray(at, at + got.length)));
      expect(v).toBeDefined();
      versions.push(v as number);
    }
    // The first block went out before the rewrite; the last was read after it.
    expect(versions[0]).toBe(1);
    expect(versions[versions.length - 1]).toBe(2);
  });

  it('truncation ends the response instead of leaving the client waiting', async () => {
    const d = download(port, '/a.bin?rate=300000');
    expect(await until(() => d.bytes() > 50_000, 3000)).toBe(true);
    fs.truncateSync(file, 100_000);
    const r = await d.done;
    expect(r.complete).toBe(false);
    expect(r.body.length).toBeLessThan(SIZE);
    // 600 000 bytes at 300 000 B/s would take 2 s; it ends within the first block's worth.
    expect(r.ms).toBeLessThan(3000);
    expect(await until(() => srv.engine.openFiles === 0 && srv.engine.activeSessions === 0, 2000)).toBe(true);
  });
});
