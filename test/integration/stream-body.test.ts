import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import Koa from 'koa';
import request from 'supertest';
import { bandwidth } from '../../lib';
import type { ResponseRecord } from '../../lib/observe/response-record';
import { until } from '../observe/http-client';

// A media body with no file behind it (a proxy, a cache): the probe reads a bounded prefix
// of the stream (docs/spec.md §4), and the client still gets every byte.
const file = path.join(__dirname, '../fixtures/media/moov-first.mp4');
const bytes = fs.readFileSync(file);

function app(): { app: Koa; records: ResponseRecord[]; close: () => Promise<void> } {
  const a = new Koa();
  const bw = bandwidth({
    config: { defaults: { throttling: true }, vhosts: [{ name: 'media.test', rules: ['$URL[/vod/*.mp4], 1000x, 1000, 0'] }] },
  });
  const records: ResponseRecord[] = [];
  bw.events.on('response', (r: ResponseRecord) => records.push(r));
  a.use(bw);
  a.use(async (ctx) => {
    // In 4 KiB chunks, as a proxied upstream would arrive.
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 4096) parts.push(bytes.subarray(i, i + 4096));
    ctx.body = Readable.from(parts, { objectMode: false });
    if (ctx.query.length !== 'unknown') ctx.length = bytes.length;
    ctx.type = 'video/mp4';
  });
  return { app: a, records, close: () => bw.close() };
}


describe('a media stream body without a path', () => {
  it('is probed from its prefix: the x rate comes from the media, and every byte arrives', async () => {
    const { app: a, records, close } = app();
    const res = await request(a.callback()).get('/vod/clip.mp4').set('Host', 'media.test').buffer(true).parse((r, cb) => {
      const out: Buffer[] = [];
      r.on('data', (c: Buffer) => out.push(c));
      r.on('end', () => cb(null, Buffer.concat(out)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(bytes.length));
    expect((res.body as Buffer).equals(bytes)).toBe(true);
    expect(await until(() => records.length > 0, 10_000)).toBe(true);
    const plan = records[0]!.plan;
    expect(plan.dynamic).toBe(true);
    // 197.091 kbps probed (probe CLI, ffprobe) × 1000 %, not the 1000 kbps fallback.
    expect(plan.bandwidthKbps).toBeCloseTo(1970.9, 0);
    expect(records[0]!.bytes).toBe(bytes.length);
    await close();
  });

  it('is not probed when its length is unknown, and falls back to N of Nx', async () => {
    const { app: a, records, close } = app();
    const res = await request(a.callback()).get('/vod/clip.mp4?length=unknown').set('Host', 'media.test');
    expect(res.status).toBe(200);
    expect(await until(() => records.length > 0, 10_000)).toBe(true);
    expect(records[0]!.plan.bandwidthKbps).toBe(10_000);
    await close();
  });

  it('holds the headers of a stalled upstream for at most the peek timeout, and loses nothing', async () => {
    const a = new Koa();
    const bw = bandwidth({ config: { defaults: { throttling: true }, vhosts: [{ name: 'media.test', rules: ['*, 1000x, 1000, 0'] }] } });
    a.use(bw);
    a.use(async (ctx) => {
      const up = new PassThrough();
      up.write(bytes.subarray(0, 1000));
      setTimeout(() => up.end(bytes.subarray(1000)), 4000);
      ctx.body = up;
      ctx.length = bytes.length;
    });
    const server = a.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const t0 = Date.now();
    const { headersAt, body } = await new Promise<{ headersAt: number; body: Buffer }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/vod/slow.mp4', headers: { host: 'media.test' } }, (res) => {
        const at = Date.now() - t0;
        const out: Buffer[] = [];
        res.on('data', (c: Buffer) => out.push(c));
        res.on('end', () => resolve({ headersAt: at, body: Buffer.concat(out) }));
      }).on('error', reject);
    });
    // The peek gives up after 1 s, well before the upstream's 4 s stall ends (3× of the
    // peek timeout: a busy machine cannot push it past the stall).
    expect(headersAt).toBeGreaterThanOrEqual(900);
    expect(headersAt).toBeLessThan(3000);
    expect(body.equals(bytes)).toBe(true);
    server.close();
    await bw.close();
  });
});
