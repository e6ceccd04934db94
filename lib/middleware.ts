import type { EventEmitter } from 'node:events';
import { debuglog } from 'node:util';
import type { Context, Next } from 'koa';
import type { BandwidthConfig, VhostConfig } from './config/config-model';
import { normalizeOptions, type BandwidthOptions } from './options';
import { BandwidthRuntime, UNMATCHED } from './runtime';
import { observeResponse } from './observe/observe-response';
import { sessionKey } from './session-key';
import { requestHost } from './request-host';
import { resolvePlan, type ResolveExtras, type RouteOverride } from './policy/resolve-plan';
import { takeBtParams } from './policy/take-bt-params';
import { respond } from './respond';
import type { CapStore, Plan, RequestFacts, StatsSnapshot } from './types';

const debug = debuglog('koa-bandwidth');


/**
 * Per-request state, at `ctx.bandwidth` for requests on a configured vhost (absent for
 * hosts that match none: they pass through untouched).
 */
export class BandwidthState {
  /** The plan in force; replaced (never mutated) when a route override arrives. */
  plan: Plan;
  /** The route override set by `route()`, if any. */
  override: RouteOverride | null = null;

  constructor(
    readonly vhost: VhostConfig,
    readonly facts: RequestFacts,
    /** The query string as the client sent it, BT params included. */
    readonly originalQuerystring: string,
    private readonly runtime: BandwidthRuntime,
    private readonly extras: ResolveExtras,
  ) {
    this.plan = resolvePlan(facts, vhost, null, runtime.options.limits, extras);
  }

  /** Apply a route override (SPEC §3: `query > route > rules > settings`). */
  setOverride(override: RouteOverride): Plan {
    this.override = override;
    this.plan = resolvePlan(this.facts, this.vhost, override, this.runtime.options.limits, this.extras);
    return this.plan;
  }
}

declare module 'koa' {
  interface DefaultContext {
    /** koa-bandwidth's state for this request; undefined on hosts that match no vhost. */
    bandwidth?: BandwidthState;
  }
}

/** The middleware returned by `bandwidth()`, with its controls. */
export interface BandwidthMiddleware {
  (ctx: Context, next: Next): Promise<void>;
  /** `reload` (BandwidthConfig) and `error` (ConfigErrors of a rejected change). */
  readonly events: EventEmitter;
  /** Re-read the config now; rejects with ConfigErrors and keeps the old config when invalid. */
  reload(): Promise<BandwidthConfig>;
  /** The config in force. */
  readonly config: BandwidthConfig;
  /** Per-vhost and per-session figures: bytes, rates, sessions, plans (issue 7). */
  stats(): StatsSnapshot;
  /** The store that shares TrafficCap (memory unless one was given). */
  readonly store: CapStore;
  /** Stop watching the config directory, end metered bodies, release the store. */
  close(): Promise<void>;
  /** The runtime shared with `respond()`. */
  readonly runtime: BandwidthRuntime;
}

/**
 * Bandwidth control for a Koa media server: resolves each request's throttle plan from the
 * vhost config (SPEC §1–3), strips the BT params from the query downstream sees, and meters
 * the response.
 *
 * @example
 * ```ts
 * const app = new Koa();
 * const bw = bandwidth({ conf: './conf' });
 * bw.events.on('error', (err) => console.error(err.message));
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
      // Unknown hosts pass through unmetered, counted under one fixed name (SPEC §1, issue 7).
      try {
        await next();
      } finally {
        observeResponse(ctx, UNMATCHED, runtime.sessionId(sessionKey(ctx, options.session)), null, null, runtime);
      }
      return;
    }
    // No '?' in the URL means no query string: Koa's URL parse is skipped (most media requests).
    const originalQuerystring = ctx.req.url?.includes('?') === false ? '' : ctx.querystring;
    const { querystring, query } = takeBtParams(vhost, originalQuerystring);
    // Downstream (ctx.url, ctx.querystring, ctx.query) sees the stripped query; ctx.originalUrl
    // keeps what the client sent, as Koa promises (SPEC §3).
    if (querystring !== originalQuerystring) ctx.querystring = querystring;
    const facts = new EntryFacts(ctx, decodePath(ctx.path), query);
    const state = new BandwidthState(vhost, facts, originalQuerystring, runtime, extras);
    ctx.bandwidth = state;
    try {
      await next();
    } catch (err) {
      // Koa writes the error page itself: it is counted and recorded, unmetered (issue 7).
      observeResponse(ctx, state.plan.vhost, runtime.sessionId(sessionKey(ctx, options.session)), state.plan, null, runtime);
      throw err;
    }
    const probing = respond(ctx, state, runtime);
    if (probing) await probing;
  }

  return Object.defineProperties(bandwidthMiddleware, {
    events: { value: config, enumerable: true },
    reload: { value: () => config.reload() },
    close: { value: () => runtime.close() },
    stats: { value: () => runtime.stats() },
    store: { value: runtime.store, enumerable: true },
    config: { get: () => config.table.config, enumerable: true },
    runtime: { value: runtime },
  }) as unknown as BandwidthMiddleware;
}

/**
 * The request as it reached bandwidth(), for the rules (SPEC §2). `ip` is read from ctx when
 * first asked: a vhost without IP rules never needs it, and Koa's getter costs a little.
 */
class EntryFacts implements RequestFacts {
  readonly headers: RequestFacts['headers'];
  private ipValue: string | undefined = undefined;

  constructor(
    private readonly ctx: Context,
    readonly path: string,
    readonly query: RequestFacts['query'],
  ) {
    this.headers = ctx.req.headers;
  }

  get ip(): string {
    return (this.ipValue ??= this.ctx.ip ?? '');
  }

  toJSON(): RequestFacts {
    return { ip: this.ip, path: this.path, headers: this.headers, query: this.query };
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
