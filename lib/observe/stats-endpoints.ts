import { PassThrough } from 'node:stream';
import type { Context, Next } from 'koa';
import type { PromRegistry } from './prom-client-like';
import { OptionError } from '../errors';
import { prometheusMetrics, tryLoadPromClient, type MetricsSource } from './prometheus-metrics';

export interface StatsEndpointsOptions {
  /** Where the metrics are registered and what `/metrics` serves; default a registry of its own. */
  registry?: PromRegistry;
  /** Metric name prefix; default `koa_bandwidth_`. */
  prefix?: string;
  /** Mount path; default `/_bandwidth`. */
  path?: string;
  /** Milliseconds between two snapshots on `/events`; default 500, range [10, 3600000]. */
  intervalMs?: number;
}

/** The middleware returned by `statsEndpoints()`. */
export interface StatsEndpoints {
  (ctx: Context, next: Next): Promise<void>;
  /** The registry `/metrics` serves, or null when prom-client is not installed. */
  readonly registry: PromRegistry | null;
  /** Open `/events` streams. */
  readonly clients: number;
  /** Unregister the metrics and end every `/events` stream. */
  close(): void;
}

const KNOWN = ['registry', 'prefix', 'path', 'intervalMs'];
const NO_PROM = 'prom-client is not installed: run `npm install prom-client` to enable /metrics.\n';

/**
 * Serves a `bandwidth()` middleware's figures over HTTP (docs/observability.md):
 * - `GET <path>/stats`: the `stats()` snapshot as JSON;
 * - `GET <path>/metrics`: Prometheus text (prom-client is an optional peer; 501 without it);
 * - `GET <path>/events`: server-sent events, one snapshot every `intervalMs`.
 * Other paths fall through to `next`. Mount it before `bw`, so that its own responses are
 * neither metered nor counted.
 *
 * @example
 * ```ts
 * const bw = bandwidth({ conf: './conf' });
 * app.use(statsEndpoints(bw));
 * app.use(bw);
 * ```
 */
export function statsEndpoints(source: MetricsSource, options: StatsEndpointsOptions = {}): StatsEndpoints {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', 'an object', options);
  for (const k of Object.keys(options)) if (!KNOWN.includes(k)) throw new OptionError(k, `one of ${KNOWN.join(', ')}`, (options as Record<string, unknown>)[k]);
  const base = options.path ?? '/_bandwidth';
  if (typeof base !== 'string' || !/^\/(.*[^/])?$/.test(base)) throw new OptionError('path', "a path starting with '/' and not ending with '/'", base);
  const intervalMs = options.intervalMs ?? 500;
  if (typeof intervalMs !== 'number' || !(intervalMs >= 10 && intervalMs <= 3_600_000)) throw new OptionError('intervalMs', 'a number of milliseconds in [10, 3600000]', intervalMs);

  const prom = tryLoadPromClient();
  const registry = prom ? (options.registry ?? new prom.Registry()) : null;
  const dispose = registry ? prometheusMetrics(source, { registry, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}) }) : () => {};
  const streams = new Set<PassThrough>();

  function events(ctx: Context): void {
    const stream = new PassThrough();
    const send = (): void => {
      // A client that does not keep up misses snapshots rather than making us buffer them.
      if (!stream.writableNeedDrain) stream.write(`event: stats\ndata: ${JSON.stringify(source.stats())}\n\n`);
    };
    const timer = setInterval(send, intervalMs);
    timer.unref();
    streams.add(stream);
    stream.once('close', () => {
      clearInterval(timer);
      streams.delete(stream);
    });
    // Koa destroys the body when the client goes away; this covers `ctx.respond = false` setups too.
    ctx.res.once('close', () => stream.destroy());
    ctx.req.socket?.setTimeout(0);
    ctx.type = 'text/event-stream';
    ctx.set('X-Accel-Buffering', 'no');
    ctx.body = stream;
    stream.write(`retry: ${Math.max(1000, intervalMs)}\n\n`);
    send();
  }

  async function statsEndpointsMiddleware(ctx: Context, next: Next): Promise<void> {
    const sub = ctx.path.startsWith(base) ? ctx.path.slice(base.length) : '';
    if (sub !== '/stats' && sub !== '/metrics' && sub !== '/events') return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    if (sub === '/stats') ctx.body = source.stats();
    else if (sub === '/events') events(ctx);
    else if (!registry) {
      ctx.status = 501;
      ctx.type = 'text/plain';
      ctx.body = NO_PROM;
    } else {
      ctx.type = registry.contentType;
      ctx.body = await registry.metrics();
    }
  }

  return Object.defineProperties(statsEndpointsMiddleware, {
    registry: { value: registry, enumerable: true },
    clients: { get: () => streams.size, enumerable: true },
    close: {
      value: () => {
        dispose();
        for (const s of [...streams]) s.end();
      },
    },
  }) as unknown as StatsEndpoints;
}
