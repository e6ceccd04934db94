import { debuglog } from 'node:util';
import type { Context, Next } from 'koa';
import type { BandwidthConfig } from './config/config-model';
import { normalizeOptions, type BandwidthOptions } from './options';
import { BandwidthRuntime, UNMATCHED } from './runtime';
import { observeResponse } from './observe/observe-response';
import { requestHost } from './request-host';
import { requestProtocol } from './request-client';
import type { ResolveExtras } from './policy/resolve-plan';
import { takeBtParams } from './policy/take-bt-params';
import type { ClientAddress } from './policy/trusted-proxies';
import { respond } from './respond';
import { BandwidthState, type BandwidthChange } from './bandwidth-state';
import type { CapStore, RequestFacts, StatsSnapshot } from './types';
import type { BandwidthEvents, BandwidthEventEmitter, BandwidthListener } from './events';

const debug = debuglog('koa-bandwidth');
/** What EventEmitter takes; BandwidthMiddleware's `on`/`off` give it the typed listeners. */
type Listener = Parameters<BandwidthRuntime['config']['on']>[1];


export { BandwidthState } from './bandwidth-state';
export type { BandwidthChange } from './bandwidth-state';

declare module 'koa' {
  interface DefaultContext {
    /** koa-bandwidth's state for this request; undefined on hosts that match no vhost. */
    bandwidth?: BandwidthState;
  }
}

/** The middleware returned by `bandwidth()`, with its controls. */
export interface BandwidthMiddleware {
  (ctx: Context, next: Next): Promise<void>;
  /**
   * Typed events: `reload` (the new BandwidthConfig), `error` (ConfigErrors of a rejected
   * change), `response` (a ResponseRecord per finished response), `warning` (a ConfigWarning).
   */
  readonly events: BandwidthEventEmitter;
  /**
   * `bw.on(name, listener)` is `bw.events.on(name, listener)`.
   * @example
   * ```ts
   * bw.on('response', (r) => console.log(r.url, r.bytes, r.rateKbps));
   * ```
   */
  on<K extends keyof BandwidthEvents>(event: K, listener: BandwidthListener<K>): BandwidthMiddleware;
  /** `bw.off(name, listener)` is `bw.events.off(name, listener)`. */
  off<K extends keyof BandwidthEvents>(event: K, listener: BandwidthListener<K>): BandwidthMiddleware;
  /** Re-read the config now; rejects with ConfigErrors and keeps the old config when invalid. */
  reload(): Promise<BandwidthConfig>;
  /** The config in force. */
  readonly config: BandwidthConfig;
  /** Per-vhost and per-session figures: bytes, rates, sessions, plans (docs/observability.md). */
  stats(): StatsSnapshot;
  /** The store that shares TrafficCap (memory unless one was given). */
  readonly store: CapStore;
  /** Stop watching the config directory, end metered bodies, release the store. */
  close(): Promise<void>;
  /** The runtime shared with `respond()`. */
  readonly runtime: BandwidthRuntime;
  /**
   * Change the plan of every response of a session in flight (the id `stats()` and records
   * show: `c7`, `ip:203.0.113.7`, …): BT off, rate, ratio or boost, applied within a tick.
   * Returns how many responses changed (0 when none is in flight).
   *
   * @example
   * ```ts
   * bw.retune('ip:203.0.113.7', { ratio: 50 }); // halve that client's rate now
   * ```
   * @throws OptionError for a value out of range.
   */
  retune(sessionId: string, change: BandwidthChange): number;
}

/**
 * Bandwidth control for a Koa media server: resolves each request's throttle plan from the
 * vhost config (docs/spec.md §1–3), strips the BT params from the query downstream sees, and meters
 * the response.
 *
 * @example
 * ```ts
 * const app = new Koa();
 * app.use(bandwidth({ rate: '2mbps', boost: '5s' }));   // every response, one line
 * // or rules from config files, reloaded on change:
 * const bw = bandwidth({ conf: './conf' });
 * bw.on('error', (err) => console.error(err.message));
 * app.use(bw);
 * ```
 * @throws OptionError for bad options, ConfigErrors for a bad config at startup.
 */
export function bandwidth(opts: BandwidthOptions): BandwidthMiddleware {
  const options = normalizeOptions(opts);
  const runtime = new BandwidthRuntime(options);
  const config = runtime.config;
  const extras: ResolveExtras = {
    geoip: options.geoip,
    onQueryValue: (field, raw, outcome, reason, param) => debug('query %s=%j (%s) %s: %s', param, raw, field, outcome, reason),
  };

  async function bandwidthMiddleware(ctx: Context, next: Next): Promise<void> {
    const vhost = config.table.lookup(requestHost(ctx));
    if (vhost === null) {
      // Unknown hosts pass through unmetered, counted under one fixed name (docs/spec.md §1).
      ctx.bandwidth = undefined; // present but empty: route() knows bandwidth() ran
      runtime.unmatched(ctx);
      try {
        await next();
      } finally {
        observeResponse(ctx, UNMATCHED, runtime.sessionId(runtime.sessionOf(ctx, null)), null, null, runtime);
      }
      return;
    }
    // No '?' in the URL means no query string: Koa's URL parse is skipped (most media requests).
    const originalQuerystring = ctx.req.url?.includes('?') === false ? '' : ctx.querystring;
    const { querystring, query } = takeBtParams(vhost, originalQuerystring);
    // Downstream (ctx.url, ctx.querystring, ctx.query) sees the stripped query; ctx.originalUrl
    // keeps what the client sent, as Koa promises (docs/config.md#what-downstream-sees).
    if (querystring !== originalQuerystring) ctx.querystring = querystring;
    const facts = new EntryFacts(ctx, decodePath(ctx.path), query, runtime);
    const state = new BandwidthState(vhost, facts, originalQuerystring, runtime, extras, facts);
    ctx.bandwidth = state;
    try {
      await next();
    } catch (err) {
      // Koa writes the error page itself: it is counted and recorded, unmetered (docs/observability.md).
      observeResponse(ctx, state.plan.vhost, runtime.sessionId(runtime.sessionOf(ctx, vhost)), state.plan, null, runtime);
      throw err;
    }
    // `MIME[...]` rules read the response's type, known now (docs/config.md#conditions).
    if (vhost.usesMime) state.resolveAgain();
    const probing = respond(ctx, state, runtime);
    if (probing) await probing;
  }

  const mw = Object.defineProperties(bandwidthMiddleware, {
    events: { value: config, enumerable: true },
    on: { value: (event: string, listener: Listener) => (config.on(event, listener), mw) },
    off: { value: (event: string, listener: Listener) => (config.off(event, listener), mw) },
    reload: { value: () => config.reload() },
    close: { value: () => runtime.close() },
    stats: { value: () => runtime.stats() },
    store: { value: runtime.store, enumerable: true },
    config: { get: () => config.table.config, enumerable: true },
    runtime: { value: runtime },
    retune: { value: (sessionId: string, change: BandwidthChange) => runtime.retune(sessionId, change) },
  }) as unknown as BandwidthMiddleware;
  return mw;
}

/**
 * The request as it reached bandwidth(), for the rules (docs/config.md#conditions). `ip` and
 * `protocol` are read when first asked (a vhost without IP rules never needs them); `mime` is
 * read each time, since the handlers set the response's type.
 */
class EntryFacts implements RequestFacts {
  readonly headers: RequestFacts['headers'];
  private ipValue: string | undefined = undefined;

  constructor(
    private readonly ctx: Context,
    readonly path: string,
    readonly query: RequestFacts['query'],
    private readonly runtime: BandwidthRuntime,
  ) {
    this.headers = ctx.req.headers;
  }

  /** The client address after trusted proxies (computed once per request). */
  client(): ClientAddress {
    return this.runtime.clientOf(this.ctx);
  }

  get ip(): string {
    return (this.ipValue ??= this.client().ip);
  }

  get method(): string {
    return this.ctx.method;
  }

  get protocol(): string {
    return requestProtocol(this.ctx, this.client());
  }

  get mime(): string {
    return this.ctx.response.type.toLowerCase();
  }

  toJSON(): RequestFacts {
    return { ip: this.ip, path: this.path, headers: this.headers, query: this.query, method: this.method, protocol: this.protocol };
  }
}

/** Conditions match the decoded path; a malformed escape keeps the raw path. */
function decodePath(p: string): string {
  if (!p.includes('%')) return p;
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}
