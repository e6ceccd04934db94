import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import send from 'koa-send';
import rangeParser from 'range-parser';
import { bandwidth, type BandwidthMiddleware } from '../../lib/index';
import type { ResponseRecord } from '../../lib/observe/response-record';
import type { Plan } from '../../lib/types';

/** The vhost every test request lands on (it is the `<Default>`). */
export const VHOST = 'media.test';

/**
 * The rules of the end-to-end tests. `/vod/` is the chapter's line; `/slow/` is 8 kbps
 * (1000 bytes/s) without boost, so any unthrottled byte shows; `/probe/` is 80 kbps
 * (10 000 bytes/s) with a 30 000-byte boost, smaller than the large `moov`.
 */
export const RULES = ['$URL[/vod/*.mp4], 1000x, 120, 5', '$URL[/slow/*], 8, 100, 0', '$URL[/probe/*], 80, 100, 3', '$URL[*.mp3], x, 100, 5'];

export interface MediaServer {
  port: number;
  bw: BandwidthMiddleware;
  /** `ctx.bandwidth.plan` after the middleware finished, with the URL and Range, oldest first. */
  plans: Array<{ url: string; range: string; status: number; plan: Plan | undefined }>;
  /** 'response' records, in the order responses ended. */
  records: ResponseRecord[];
  close(): Promise<void>;
}

/**
 * A real Koa media server on 127.0.0.1: `bandwidth()` in front, then the file named by the
 * last path segment, from `dir`. A request without Range goes through koa-send (an
 * `fs.ReadStream` body with `.path`); a Range request gets a 206 with
 * `fs.createReadStream(file, { start, end })`, the way Range-aware apps send slices. With
 * `?body=buffer` the whole file is sent as a Buffer, as an in-memory cache would. HTTP/1.1,
 * or h2c with `http2: true`.
 */
export async function startMediaServer(dir: string, opts: { maxHeaderBytes?: number; http2?: boolean; confDir?: boolean } = {}): Promise<MediaServer> {
  const { http2: h2, confDir, ...bwOpts } = opts;
  const app = new Koa();
  app.silent = true;
  const source = confDir ? { conf: writeConfDir(path.join(dir, 'conf')), watch: false } : { config: { defaults: { throttling: true }, vhosts: [{ name: VHOST, rules: RULES }], default: VHOST } };
  const bw = bandwidth({ ...source, ...bwOpts });
  const plans: MediaServer['plans'] = [];
  const records: ResponseRecord[] = [];
  bw.events.on('response', (r: ResponseRecord) => records.push(r));
  app.use(async function recordPlan(ctx, next) {
    await next();
    plans.push({ url: ctx.url, range: ctx.get('Range'), status: ctx.status, plan: ctx.bandwidth?.plan });
  });
  app.use(bw);
  app.use(async function serveMedia(ctx) {
    const name = path.basename(ctx.path);
    const file = path.join(dir, name);
    const range = ctx.get('Range');
    if (ctx.query.body === 'buffer') {
      // An app that holds media in memory (a cache): a Buffer body, no path.
      ctx.type = path.extname(name);
      ctx.body = fs.readFileSync(file);
      return;
    }
    if (!range) {
      await send(ctx, name, { root: dir });
      ctx.set('Accept-Ranges', 'bytes');
      return;
    }
    const size = fs.statSync(file).size;
    const ranges = rangeParser(size, range);
    if (typeof ranges === 'number' || ranges.length !== 1) return ctx.throw(416);
    const { start, end } = ranges[0]!;
    ctx.status = 206;
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
    ctx.type = path.extname(name);
    ctx.body = fs.createReadStream(file, { start, end });
    ctx.length = end - start + 1;
  });
  const server = h2 ? http2.createServer(app.callback()) : http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    bw,
    plans,
    records,
    close: async () => {
      if (server instanceof http.Server) server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await bw.close();
    },
  };
}

/** The same config as a config directory (docs/spec.md §1): server.xml, vhosts.xml, svc/<vhost>/throttling.txt. */
export function writeConfDir(conf: string): string {
  fs.mkdirSync(path.join(conf, 'svc', VHOST), { recursive: true });
  fs.writeFileSync(
    path.join(conf, 'server.xml'),
    '<Server><VHostDefault><Options><BandwidthThrottling><Settings><Bandwidth Unit="kbps">1000</Bandwidth><Ratio>100</Ratio><Boost>5</Boost></Settings>' +
      '<Throttling>ON</Throttling></BandwidthThrottling></Options></VHostDefault></Server>\n',
  );
  fs.writeFileSync(path.join(conf, 'vhosts.xml'), `<Vhosts><Vhost Name="${VHOST}"/><Default>${VHOST}</Default></Vhosts>\n`);
  fs.writeFileSync(path.join(conf, 'svc', VHOST, 'throttling.txt'), `# end-to-end rules\n${RULES.join('\n')}\n`);
  return conf;
}

/** One `data` event at the client: milliseconds since the request was sent, and the running total. */
export interface Sample {
  ms: number;
  total: number;
}

export interface Download {
  status: number;
  headers: http.IncomingHttpHeaders;
  samples: Sample[];
  total: number;
  /** Whether the body ended (false when `stop` aborted it). */
  complete: boolean;
}

/**
 * GET `urlPath` and time every chunk. `stop` is asked after each chunk and after each
 * 50 ms of silence; when it says true, the request is aborted (the client goes away).
 */
export function download(port: number, urlPath: string, opts: { range?: string; stop?: (d: { ms: number; total: number; samples: Sample[] }) => boolean } = {}): Promise<Download> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = opts.range ? { Range: opts.range } : {};
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, agent: false, headers }, (res) => {
      const samples: Sample[] = [];
      let total = 0;
      let done = false;
      const finish = (complete: boolean): void => {
        if (done) return;
        done = true;
        clearInterval(timer);
        if (!complete) req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, samples, total, complete });
      };
      const check = (): void => {
        if (opts.stop?.({ ms: performance.now() - t0, total, samples })) finish(false);
      };
      const timer = setInterval(check, 50);
      res.on('data', (c: Buffer) => {
        total += c.length;
        samples.push({ ms: performance.now() - t0, total });
        check();
      });
      res.on('end', () => finish(true));
      res.on('error', (err) => (done ? undefined : reject(err)));
    });
    req.on('error', (err) => reject(err));
    req.end();
  });
}

/** Milliseconds at which the running total first reached `bytes`, or Infinity. */
export function timeToBytes(samples: Sample[], bytes: number): number {
  return samples.find((s) => s.total >= bytes)?.ms ?? Infinity;
}

/**
 * The rate at the client, bytes/s, over the samples after the first `afterBytes` bytes.
 * The meter writes in bursts (docs/spec.md §5; docs/metering.md: every 250 ms to 2 s), so chunks
 * less than 30 ms apart are one write; the rate is the bytes of the writes after the first
 * over the time from the first write to the last, so partial writes never skew it.
 */
export function rateAfter(samples: Sample[], afterBytes: number): { rate: number; writes: number; seconds: number } {
  const bursts: Array<{ ms: number; total: number }> = [];
  let prevMs = -Infinity;
  for (const s of samples) {
    if (s.total <= afterBytes) continue;
    if (s.ms - prevMs > 30 || bursts.length === 0) bursts.push({ ms: s.ms, total: s.total });
    else bursts[bursts.length - 1]!.total = s.total;
    prevMs = s.ms;
  }
  if (bursts.length < 3) return { rate: NaN, writes: bursts.length, seconds: 0 };
  const first = bursts[0]!;
  const last = bursts[bursts.length - 1]!;
  const seconds = (last.ms - first.ms) / 1000;
  return { rate: (last.total - first.total) / seconds, writes: bursts.length, seconds };
}

/** Polls `get` every 20 ms until it returns something, for at most `ms`. */
export async function eventually<T>(get: () => T | undefined, ms = 2000): Promise<T | undefined> {
  const until = performance.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined || performance.now() > until) return v;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
