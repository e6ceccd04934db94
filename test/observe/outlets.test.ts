import diagnosticsChannel from 'node:diagnostics_channel';
import { Readable } from 'node:stream';
import Koa from 'koa';
import { bandwidth, RESPONSE_CHANNEL, type Logger, type ResponseRecord } from '../../lib/index';
import { fetch, listen, until } from './http-client';

const config = {
  defaults: { queryString: true, params: { bandwidth: 'bw', ratio: 'r', boost: 'b' }, boost: 0 },
  vhosts: [{ name: 'a.test', options: { throttling: true }, rules: ['$URL[/free/*], no', '$URL[/bt/*], 8000, 50, 1'] }],
  trustedProxies: ['127.0.0.1', '::1'], // the client names itself with X-Forwarded-For
};

/** A pino-like logger that keeps what it is given. */
function memoryLogger(): Logger & { lines: Array<{ level: string; obj: unknown; msg: string | undefined }> } {
  const lines: Array<{ level: string; obj: unknown; msg: string | undefined }> = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A body of 200 chunks of 1,000 bytes. */
const chunky = (): Readable => Readable.from(Array.from({ length: 200 }, () => Buffer.alloc(1000, 2)), { objectMode: false });

/** A body that never ends: the client has to go away. */
const endless = (): Readable => new Readable({ read() { this.push(Buffer.alloc(16_384, 3)); } });

describe('the response record', () => {
  const logger = memoryLogger();
  const bw = bandwidth({ config, logger });
  const events: ResponseRecord[] = [];
  const channel: unknown[] = [];
  const onChannel = (m: unknown) => channel.push(m);
  const app = new Koa();
  app.silent = true;
  app.proxy = true;
  app.use(bw);
  app.use((ctx) => {
    if (ctx.path.endsWith('/missing')) ctx.throw(404);
    ctx.body = ctx.path.endsWith('/endless') ? endless() : chunky();
  });
  let port = 0;
  let close: () => Promise<void>;
  beforeAll(async () => {
    bw.events.on('response', (r: ResponseRecord) => events.push(r));
    diagnosticsChannel.subscribe(RESPONSE_CHANNEL, onChannel);
    ({ port, close } = await listen(app));
  });
  afterAll(async () => {
    diagnosticsChannel.unsubscribe(RESPONSE_CHANNEL, onChannel);
    await close();
    await bw.close();
  });
  beforeEach(() => {
    events.length = 0;
    channel.length = 0;
    logger.lines.length = 0;
  });

  it.each([
    ['an unmetered body', '/free/x.bin?tag=1&bw=100&date=2', '/free/x.bin?tag=1&date=2', { throttle: false, rule: { line: 1, text: '$URL[/free/*], no' }, bandwidthKbps: null }],
    ['a metered body', '/bt/x.bin?tag=1&r=100&date=2', '/bt/x.bin?tag=1&date=2', { throttle: true, rule: { line: 2, text: '$URL[/bt/*], 8000, 50, 1' }, bandwidthKbps: 8000, ratio: 100, boostSeconds: 1, dynamic: false }],
  ])('goes out once per response of %s, to the event, the channel and the logger', async (_name, url, seen, plan) => {
    const started = Date.now();
    const got = await fetch(port, url, 'a.test', { headers: { 'X-Forwarded-For': '192.0.2.7' } });
    expect(got.bytes).toBe(200_000);
    expect(await until(() => events.length === 1, 2000)).toBe(true);
    const r = events[0]!;
    expect(r).toMatchObject({ vhost: 'a.test', ip: '192.0.2.7', method: 'GET', url: seen, status: 200, bytes: 200_000, aborted: false, plan });
    expect(r.session).toMatch(/^c\d+$/);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeLessThanOrEqual(Date.now() - started + 5);
    expect(Date.parse(r.time)).toBeGreaterThanOrEqual(started - 5);
    if (r.durationMs > 0) expect(r.rateKbps).toBeCloseTo((r.bytes * 8) / r.durationMs, 0);
    // The same object on the channel, and one structured line for 200 chunks.
    expect(channel).toEqual([r]);
    expect(logger.lines).toEqual([{ level: 'info', obj: r, msg: 'koa-bandwidth: response' }]);
  });

  it('records an error page that downstream threw, with its status and bytes', async () => {
    const got = await fetch(port, '/bt/missing', 'a.test');
    expect(got.status).toBe(404);
    expect(await until(() => events.length === 1, 2000)).toBe(true);
    expect(events[0]).toMatchObject({ status: 404, bytes: got.bytes, aborted: false, plan: { throttle: true } });
    expect(got.bytes).toBeGreaterThan(0);
    expect(bw.stats().sessions).toHaveLength(0);
  });

  it('records an aborted response as aborted', async () => {
    const got = await fetch(port, '/free/endless', 'a.test', { abortAfter: 100_000 });
    expect(got.aborted).toBe(true);
    expect(await until(() => events.length === 1, 2000)).toBe(true);
    expect(events[0]!.aborted).toBe(true);
    expect(events[0]!.bytes).toBeGreaterThanOrEqual(got.bytes);
  });

  it('builds no record when nobody listens', async () => {
    diagnosticsChannel.unsubscribe(RESPONSE_CHANNEL, onChannel);
    const quiet = bandwidth({ config });
    let built = 0;
    const publish = quiet.runtime.publish.bind(quiet.runtime);
    quiet.runtime.publish = (r) => (built++, publish(r));
    const a = new Koa();
    a.use(quiet);
    a.use((ctx) => (ctx.body = 'x'));
    const srv = await listen(a);
    try {
      await fetch(srv.port, '/bt/x', 'a.test');
      await fetch(srv.port, '/free/x', 'a.test');
      await until(() => quiet.stats().sessions.length === 0, 1000);
      expect(built).toBe(0);
      // Bytes are counted all the same.
      expect(quiet.stats().vhosts[0]!.bytesSent).toBe(2);
    } finally {
      diagnosticsChannel.subscribe(RESPONSE_CHANNEL, onChannel);
      await srv.close();
      await quiet.close();
    }
  });
});
