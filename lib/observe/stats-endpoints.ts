import { PassThrough } from 'node:stream';
import type { Context, Next } from 'koa';
import type { PromRegistry } from './prom-client-like';
import { OptionError } from '../errors';
import { prometheusMetrics, tryLoadPromClient, type MetricsSource } from './prometheus-metrics';
import { SnapshotBroadcast } from './snapshot-broadcast';

export interface StatsEndpointsOptions {
  /** Where the metrics are registered and what `/metrics` serves; default a registry of its own. */
  registry?: PromRegistry;
  /** Metric name prefix; default `koa_bandwidth_`. */
  prefix?: string;
  /** Mount path; default `/_bandwidth`. */
  path?: string;
  /** Milliseconds between two snapshots on `/events`; default 500, range [10, 3600000]. */
  intervalMs?: number;
  /**
   * An `/events` client with more than this many bytes waiting in our buffers is dropped: it
   * is not reading. Default 1 MiB (three snapshots of 1,000 sessions), range [1024, 1 GiB].
   */
  maxQueuedBytes?: number;
}

/** The middleware returned by `statsEndpoints()`. */
export interface StatsEndpoints {
  (ctx: Context, next: Next): Promise<void>;
  /** The registry `/metrics` serves, or null when prom-client is not installed. */
  readonly registry: PromRegistry | null;
  /** Open `/events` streams. */
  readonly clients: number;
  /** `/events` clients dropped because they did not read. */
  readonly dropped: number;
  /** Unregister the metrics and end every `/events` stream. */
  close(): void;
}

const KNOWN = ['registry', 'prefix', 'path', 'intervalMs', 'maxQueuedBytes'];
const NO_PROM = 'prom-client is not installed: run `npm install prom-client` to enable /metrics.\n';

/**
 * Serves a `bandwidth()` middleware's figures over HTTP (docs/observability.md):
 * - `GET <path>/stats`: the `stats()` snapshot as JSON;
 * - `GET <path>/metrics`: Prometheus text (prom-client is an optional peer; 501 without it);
 * - `GET <path>/events`: server-sent events, one snapshot every `intervalMs`, serialised once
 *   for all clients; a client that does not read is dropped once `maxQueuedBytes` wait.
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
  const maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
  if (typeof maxQueuedBytes !== 'number' || !(maxQueuedBytes >= 1024 && maxQueuedBytes <= 2 ** 30)) throw new OptionError('maxQueuedBytes', 'a number of bytes in [1024, 1073741824]', maxQueuedBytes);

  const prom = tryLoadPromClient();
  const registry = prom ? (options.registry ?? new prom.Registry()) : null;
  const dispose = registry ? prometheusMetrics(source, { registry, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}) }) : () => {};
  const broadcast = new SnapshotBroadcast({
    frame: () => `event: stats\ndata: ${JSON.stringify(source.stats())}\n\n`,
    intervalMs,
    maxQueuedBytes,
  });

  function events(ctx: Context): void {
    const stream = new PassThrough();
    const res = ctx.res as typeof ctx.res & { writableLength?: number };
    // Koa destroys the body when the client goes away; this covers `ctx.respond = false` setups too.
    res.once('close', () => stream.destroy());
    ctx.req.socket?.setTimeout(0);
    ctx.type = 'text/event-stream';
    ctx.set('X-Accel-Buffering', 'no');
    ctx.body = stream;
    stream.write(`retry: ${Math.max(1000, intervalMs)}\n\n`);
    // What waits in the stream and in the response (its socket's buffer included).
    broadcast.add({ stream, queued: () => stream.writableLength + stream.readableLength + (res.writableLength ?? 0) });
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
    clients: { get: () => broadcast.size, enumerable: true },
    dropped: { get: () => broadcast.dropped, enumerable: true },
    close: {
      value: () => {
        dispose();
        broadcast.close();
      },
    },
  }) as unknown as StatsEndpoints;
}
