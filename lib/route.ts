import type { Context, Next } from 'koa';
import { OptionError } from './errors';
import { parseBandwidthField } from './policy/parse-rule-list';
import type { RouteOverride } from './policy/resolve-plan';
import type { BandwidthSpec } from './types';
import { isAmount, toBytesPerSecond } from './config/units';

/** Options of `route()`: the route's layer between the query string and the rule list. */
export interface RouteOptions {
  /** In the vhost's `<Bandwidth Unit>`: a number, `'x'`, `'<N>x'` or `'no'`. */
  bandwidth?: number | string;
  /** Percent ≥ 0. */
  ratio?: number;
  /** Seconds ≥ 0. */
  boost?: number;
}

/**
 * A per-route override for @koa/router routes (SPEC §3: `query > route > rules >
 * settings`; a route's `no` disables BT). Mount it after `bandwidth()`. Bandwidths are
 * read in the unit of the request's vhost. Does nothing on hosts that match no vhost.
 *
 * @example
 * ```ts
 * router.get('/trailers/:file', route({ bandwidth: 'no' }), serve);
 * router.get('/vod/:file', route({ bandwidth: '500x', ratio: 120 }), serve);
 * ```
 * @throws OptionError
 */
export function route(opts: RouteOptions): (ctx: Context, next: Next) => Promise<void> {
  if (opts === null || typeof opts !== 'object') throw new OptionError('route', 'an object { bandwidth?, ratio?, boost? }', opts);
  for (const k of Object.keys(opts)) if (!['bandwidth', 'ratio', 'boost'].includes(k)) throw new OptionError(`route.${k}`, 'one of route.bandwidth, route.ratio, route.boost', (opts as Record<string, unknown>)[k]);
  const { bandwidth, ratio, boost } = opts;
  // Validate once; the bytes/s value depends on the vhost's unit, so keep a number-in-units form.
  let spec: ((unit: Parameters<typeof toBytesPerSecond>[1]) => BandwidthSpec) | undefined;
  if (bandwidth !== undefined) {
    const bad = (): OptionError => new OptionError('route.bandwidth', "a finite number ≥ 0, 'x', '<N>x' or 'no'", bandwidth);
    if (typeof bandwidth === 'number') {
      if (!isAmount(bandwidth)) throw bad();
      spec = (unit) => ({ kind: 'fixed', bytesPerSecond: toBytesPerSecond(bandwidth, unit) });
    } else if (typeof bandwidth === 'string') {
      parseBandwidthField(bandwidth, 'bytes', bad);
      spec = (unit) => parseBandwidthField(bandwidth, unit, bad);
    } else throw bad();
  }
  if (ratio !== undefined && !isAmount(ratio)) throw new OptionError('route.ratio', 'a finite percentage ≥ 0', ratio);
  if (boost !== undefined && !isAmount(boost)) throw new OptionError('route.boost', 'a finite number of seconds ≥ 0', boost);

  const byUnit = new Map<string, RouteOverride>();
  return async function bandwidthRoute(ctx: Context, next: Next): Promise<void> {
    const state = ctx.bandwidth;
    if (state) {
      const unit = state.vhost.settings.unit;
      let override = byUnit.get(unit);
      if (!override) {
        override = {};
        if (spec) override.bandwidth = spec(unit);
        if (ratio !== undefined) override.ratio = ratio;
        if (boost !== undefined) override.boost = boost;
        byUnit.set(unit, override);
      }
      state.setOverride(override);
    }
    await next();
  };
}
