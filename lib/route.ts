import type { Context, Next } from 'koa';
import { OptionError } from './errors';
import type { RouteOverride } from './policy/resolve-plan';
import type { BandwidthSpec } from './types';
import { readDuration, readPercent, readRate, type Duration, type Percent, type Rate } from './config/amount';
import { NX_WARN_BELOW } from './config/config-warning';

/**
 * The bandwidth of a route: a rate (bytes/s, or a string with its unit: `'800kbps'`),
 * `'x'` (the media's encoding rate, else the vhost's `<Settings>` bandwidth), `` `${N}x` ``
 * (the media rate, else N bytes/s) or `'no'` (never BT).
 */
export type RouteBandwidth = Rate | 'x' | `${number}x` | 'no';

/** Options of `route()`: the route's layer between the query string and the rule list. */
export interface RouteOptions {
  /** `'800kbps'`, a number of bytes/s, `'x'`, `` `${N}x` `` or `'no'`. */
  bandwidth?: RouteBandwidth;
  /** Percent ≥ 0: `120` or `'120%'`. */
  ratio?: Percent;
  /** Seconds ≥ 0, or `'5s'`, `'500ms'`. */
  boost?: Duration;
}

/** Options of the route() factory itself. */
export interface RouteFactoryOptions {
  /** Where the one warning of a route() mounted without bandwidth() goes. Default `process.emitWarning`. */
  warn?: (code: string, message: string) => void;
}

const EXPECTED = "a rate (bytes/s, or '800kbps', '2mbps', '64KiB/s'), 'x', '<N>x' (N in bytes/s) or 'no'";

/**
 * A per-route override for @koa/router routes (docs/spec.md §3: `query > route > rules >
 * settings`; a route's `no` disables BT). Mount `bandwidth()` before it: without it the
 * override cannot apply, and the first request says so once (a process warning). Does
 * nothing on hosts that match no vhost.
 *
 * Unlike rule lists, whose bare numbers are in the vhost's `<Bandwidth Unit>`, a route's
 * numbers are bytes/s on every vhost, and strings say their unit.
 *
 * @example
 * ```ts
 * router.get('/trailers/:file', route({ bandwidth: 'no' }), serve);
 * router.get('/vod/:file', route({ bandwidth: 'x', ratio: 120 }), serve);
 * router.get('/download/:file', route({ bandwidth: '400kbps', boost: '2s' }), serve);
 * ```
 * @throws OptionError
 */
export function route(opts: RouteOptions, factory: RouteFactoryOptions = {}): (ctx: Context, next: Next) => Promise<void> {
  if (opts === null || typeof opts !== 'object') throw new OptionError('route', 'an object { bandwidth?, ratio?, boost? }', opts);
  for (const k of Object.keys(opts)) if (!['bandwidth', 'ratio', 'boost'].includes(k)) throw new OptionError(`route.${k}`, 'one of route.bandwidth, route.ratio, route.boost', (opts as Record<string, unknown>)[k]);
  const override: RouteOverride = {};
  if (opts.bandwidth !== undefined) override.bandwidth = routeBandwidth(opts.bandwidth);
  if (opts.ratio !== undefined) {
    const r = readPercent(opts.ratio);
    if (!r.ok) throw new OptionError('route.ratio', r.expected, opts.ratio);
    override.ratio = r.value;
  }
  if (opts.boost !== undefined) {
    const r = readDuration(opts.boost);
    if (!r.ok) throw new OptionError('route.boost', r.expected, opts.boost);
    override.boost = r.value;
  }
  Object.freeze(override);
  const warn = factory.warn ?? ((code: string, message: string) => process.emitWarning(message, { code: `KOA_BANDWIDTH_${code}` }));
  let warned = false;

  return async function bandwidthRoute(ctx: Context, next: Next): Promise<void> {
    const state = ctx.bandwidth;
    if (state) state.setOverride(override);
    else if (!warned && !('bandwidth' in ctx)) {
      // bandwidth() marks every request it sees, matched or not: this one never met it.
      warned = true;
      warn('ROUTE_WITHOUT_BANDWIDTH', `route() on ${ctx.method} ${ctx.path.slice(0, 100)} ran without bandwidth() before it, so its override does nothing; app.use(bandwidth(...)) before the router (this is said once per route)`);
    }
    await next();
  };
}

/** Validate a route's bandwidth once, to bytes/s. @throws OptionError */
function routeBandwidth(value: unknown): BandwidthSpec {
  const bad = (): OptionError => new OptionError('route.bandwidth', EXPECTED, value);
  if (value === 'no') return { kind: 'no' };
  if (value === 'x') return { kind: 'dynamic', fallbackBytesPerSecond: null };
  if (typeof value === 'string' && /x$/i.test(value.trim())) {
    const r = readRate(Number(value.trim().slice(0, -1)));
    if (!r.ok || !/^\s*(\d+(\.\d+)?|\.\d+)x\s*$/i.test(value)) throw bad();
    if (r.value < NX_WARN_BELOW) {
      const hint = r.value < 10 ? `; did you mean { bandwidth: 'x', ratio: ${Math.round(r.value * 100)} } (${Math.round(r.value * 100)} % of the media rate)?` : '';
      throw new OptionError('route.bandwidth', `'<N>x' with N in bytes/s of at least ${NX_WARN_BELOW} (10 kbps), the fallback when the media rate is unknown${hint}`, value);
    }
    return { kind: 'dynamic', fallbackBytesPerSecond: r.value };
  }
  const r = readRate(value);
  if (!r.ok) throw r.expected.includes('unambiguous') ? new OptionError('route.bandwidth', r.expected, value) : bad();
  return { kind: 'fixed', bytesPerSecond: r.value };
}
