import fs from 'node:fs';
import http from 'node:http';
import type { Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import send from 'koa-send';
import { createEngine } from '../../lib/meter/engine';
import type { Engine, MeterInput } from '../../lib/meter/engine';
import { sessionKey } from '../../lib/session-key';

export const FILE_SIZE = 600_000;

/** A temp dir with `big.bin` (FILE_SIZE bytes of a known pattern). */
export function mediaDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meter-'));
  const buf = Buffer.alloc(FILE_SIZE);
  for (let i = 0; i < FILE_SIZE; i++) buf[i] = i % 251;
  fs.writeFileSync(path.join(dir, 'big.bin'), buf);
  return dir;
}

/**
 * A small Koa app on the engine: the query picks the body kind and the limits
 * (`rate`, `boost`, `scap`, `vcap` in bytes/s or bytes).
 */
export function meteredApp(dir: string, engine: Engine = createEngine()): { app: Koa; engine: Engine; wrapped: boolean[]; pulled: { bytes: number } } {
  const app = new Koa();
  const wrapped: boolean[] = [];
  const pulled = { bytes: 0 };
  app.silent = true;
  app.use(async function meter(ctx, next) {
    await next();
    const q = ctx.query as Record<string, string | undefined>;
    const input: MeterInput = {
      vhost: 'www',
      session: sessionKey(ctx),
      rate: q.rate ? Number(q.rate) : null,
      boostBytes: Number(q.boost ?? 0),
      sessionCap: Number(q.scap ?? 0),
      trafficCap: Number(q.vcap ?? 0),
      exempt: q.hdr ? [{ start: 0, end: Number(q.hdr) }] : [],
      ip: ctx.ip,
    };
    wrapped.push(engine.wrapBody(ctx, input));
    if (q.twice) wrapped.push(engine.wrapBody(ctx, input));
  });
  app.use(async (ctx) => {
    const kind = ctx.path.slice(1);
    if (kind === 'file') await send(ctx, 'big.bin', { root: dir });
    else if (kind === 'slice') {
      // A 206 the way a Range-aware app sends it: a file stream with start/end.
      ctx.status = 206;
      ctx.body = fs.createReadStream(path.join(dir, 'big.bin'), { start: 1000, end: 50_999 });
      ctx.length = 50_000;
    } else if (kind === 'buffer') ctx.body = Buffer.alloc(100_000, 7);
    else if (kind === 'string') ctx.body = 'é'.repeat(50_000);
    else if (kind === 'zero') ctx.body = Buffer.alloc(0);
    else if (kind === 'json') ctx.body = { a: 'x'.repeat(1000) };
    else if (kind === 'empty') ctx.status = 204;
    else if (kind === 'not-modified') {
      ctx.body = Buffer.alloc(10);
      ctx.status = 304;
    } else if (kind === 'no-respond') {
      ctx.respond = false;
      ctx.res.end('raw');
    } else if (kind === 'stream') {
      const { Readable } = await import('node:stream');
      ctx.body = Readable.from(
        (function* () {
          for (let i = 0; i < 50; i++) yield Buffer.alloc(4000, i);
        })(),
      );
    } else if (kind === 'counted') {
      // 20 MB on demand, counting what the meter pulls from it.
      const { Readable } = await import('node:stream');
      let left = 20_000_000;
      ctx.body = new Readable({
        read() {
          const n = Math.min(16_384, left);
          left -= n;
          pulled.bytes += n;
          this.push(n ? Buffer.alloc(n) : null);
        },
      });
    } else if (kind === 'broken') {
      const { Readable } = await import('node:stream');
      let n = 0;
      ctx.body = new Readable({
        read() {
          if (n++ < 3) this.push(Buffer.alloc(1000));
          else this.destroy(new Error('disk on fire'));
        },
      });
    }
  });
  return { app, engine, wrapped, pulled };
}

export async function listen(server: http.Server | Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  ms: number;
  body: Buffer;
}

export function get(port: number, p: string, opts: { method?: string; agent?: http.Agent } = {}): Promise<Got> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: opts.method ?? 'GET', agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: body.length, ms: performance.now() - t0, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
