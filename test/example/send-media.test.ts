import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { sendMedia } from '../../example-app/send-media';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw GET: Node's client sends the path as given, so traversal attempts reach the server. */
function get(port: number, rawPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sendMedia', () => {
  let dir: string;
  let data: Buffer;
  let server: http.Server;
  let port: number;
  const bodies: Array<{ ctor: string; path: unknown; start: unknown; end: unknown }> = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'send-media-'));
    data = Buffer.alloc(10000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
    fs.writeFileSync(path.join(dir, 'clip.mp4'), data);
    fs.writeFileSync(path.join(dir, '.secret'), 'hidden');
    fs.writeFileSync(path.join(dir, 'empty.mp3'), '');
    fs.writeFileSync(path.join(dir, 'a b.mp3'), 'space');
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(os.tmpdir(), 'send-media-outside.txt'), 'outside');

    const app = new Koa();
    app.silent = true;
    app.use(async (ctx, next) => {
      await next();
      const b = ctx.body as { path?: unknown; start?: unknown; end?: unknown } | null;
      if (b && typeof b === 'object' && 'path' in b) bodies.push({ ctor: b.constructor.name, path: b.path, start: b.start, end: b.end });
    });
    app.use(async (ctx) => {
      await sendMedia(ctx, dir, ctx.path.slice(1));
    });
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    bodies.length = 0;
  });

  describe('without Range', () => {
    it('sends the whole file with 200, Accept-Ranges and Content-Length', async () => {
      const r = await get(port, '/clip.mp4');
      expect(r.status).toBe(200);
      expect(r.headers['accept-ranges']).toBe('bytes');
      expect(r.headers['content-length']).toBe('10000');
      expect(r.headers['content-type']).toBe('video/mp4');
      expect(r.body.equals(data)).toBe(true);
      expect(bodies).toEqual([{ ctor: 'ReadStream', path: path.join(dir, 'clip.mp4'), start: undefined, end: Infinity }]);
    });

    it('answers HEAD with the headers only', async () => {
      const r = await get(port, '/clip.mp4', {}, 'HEAD');
      expect(r.status).toBe(200);
      expect(r.headers['content-length']).toBe('10000');
      expect(r.body.length).toBe(0);
    });

    it('decodes escaped names once', async () => {
      const r = await get(port, '/a%20b.mp3');
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('space');
    });
  });

  describe('with a satisfiable Range', () => {
    const cases: Array<[string, number, number]> = [
      ['bytes=0-499', 0, 499],
      ['bytes=1000-', 1000, 9999],
      ['bytes=-500', 9500, 9999],
      ['bytes=9999-99999', 9999, 9999],
      ['bytes=-20000', 0, 9999],
    ];
    it.each(cases)('%s gives 206 with exactly bytes %d-%d', async (range, first, last) => {
      const r = await get(port, '/clip.mp4', { Range: range });
      expect(r.status).toBe(206);
      expect(r.headers['content-range']).toBe(`bytes ${first}-${last}/10000`);
      expect(r.headers['content-length']).toBe(String(last - first + 1));
      expect(r.headers['accept-ranges']).toBe('bytes');
      expect(r.body.equals(data.subarray(first, last + 1))).toBe(true);
      expect(bodies).toEqual([{ ctor: 'ReadStream', path: path.join(dir, 'clip.mp4'), start: first, end: last }]);
    });

    it('sends the whole file when If-Range is stale', async () => {
      const r = await get(port, '/clip.mp4', { Range: 'bytes=0-9', 'If-Range': 'Thu, 01 Jan 1970 00:00:00 GMT' });
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(10000);
    });

    it('honours If-Range with the current Last-Modified', async () => {
      const lm = (await get(port, '/clip.mp4', {}, 'HEAD')).headers['last-modified']!;
      const r = await get(port, '/clip.mp4', { Range: 'bytes=0-9', 'If-Range': lm });
      expect(r.status).toBe(206);
      expect(r.body.equals(data.subarray(0, 10))).toBe(true);
    });
  });

  const linux = fs.existsSync('/proc/self/fd') ? it : it.skip;
  linux('closes the file it opened and then replaced', async () => {
    const fds = (): number => fs.readdirSync('/proc/self/fd').length;
    await get(port, '/clip.mp4', { Range: 'bytes=0-0' });
    const before = fds();
    for (let i = 0; i < 40; i++) {
      await get(port, '/clip.mp4', { Range: i % 2 ? 'bytes=-500' : 'bytes=20000-' });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(fds() - before).toBeLessThan(5);
  });

  describe('with an unsatisfiable Range', () => {
    it.each(['bytes=10000-', 'bytes=-0', 'bytes=20000-30000'])('%s gives 416 with Content-Range bytes */size', async (range) => {
      const r = await get(port, '/clip.mp4', { Range: range });
      expect(r.status).toBe(416);
      expect(r.headers['content-range']).toBe('bytes */10000');
      expect(r.body.toString()).toBe('Range Not Satisfiable\n');
    });

    it('gives 416 for any range of an empty file', async () => {
      const r = await get(port, '/empty.mp3', { Range: 'bytes=0-' });
      expect(r.status).toBe(416);
      expect(r.headers['content-range']).toBe('bytes */0');
    });
  });

  describe('with a bad path', () => {
    // Traversal gives 404, not 403: a prober learns nothing about what lies outside the root.
    const cases: Array<[string, string, number]> = [
      ['..', '/../send-media-outside.txt', 404],
      ['encoded ..', '/%2e%2e/send-media-outside.txt', 404],
      ['encoded ../ inside a name', '/sub/..%2f..%2fsend-media-outside.txt', 404],
      ['a NUL byte', '/%00', 400],
      ['a NUL byte in a name', '/clip.mp4%00.txt', 400],
      ['a broken escape', '/%E0%A4%A', 400],
      ['a hidden file', '/.secret', 404],
      ['a directory', '/sub', 404],
      ['a directory with a slash', '/sub/', 404],
      ['the root', '/', 404],
      ['a missing file', '/missing.mp4', 404],
      ['a file used as a directory', '/clip.mp4/x', 404],
      ['a 5000-character name', `/${'a'.repeat(5000)}`, 404],
    ];
    it.each(cases.map(([what, p, status]) => ({ what, p, status })))('$what gives $status and the server stays up', async ({ p, status }) => {
      const r = await get(port, p);
      expect(r.status).toBe(status);
      expect(r.body.toString()).not.toContain('outside');
      expect((await get(port, '/clip.mp4', { Range: 'bytes=0-0' })).status).toBe(206);
    });
  });
});
