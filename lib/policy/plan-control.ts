import type { BoostValue } from '../config/boost';
import type { Plan, ThrottleSettings } from '../types';

/**
 * What the app says about one response, above everything the config and the query say
 * (docs/config.md#per-response-control-ctxbandwidth): `ctx.bandwidth`, `bw.retune()`, or an upstream's
 * `X-Accel-Limit-Rate`. Validated; rates in bytes/s.
 */
export interface PlanControl {
  /** false: no BT for this response (caps still apply); true: BT even where no rule matched. */
  throttle?: boolean;
  /** Replaces the bandwidth, bytes/s; the ratio is 100 unless one is given. 0 = no BT. */
  rate?: number;
  /** Percent of the bandwidth. */
  ratio?: number;
  boost?: BoostValue;
}

/**
 * Apply a control to a resolved plan. Pure; the result is frozen. Fields the control leaves
 * out come from the plan when it has BT, else from the vhost's `<Settings>` (as when a route
 * gives one field). A rate of 0 means no BT, as nginx's `limit_rate 0`.
 *
 * @example
 * applyControl(plan, { rate: 125_000 }, vhost.settings).rate // 125000
 */
export function applyControl(plan: Plan, control: PlanControl, settings: ThrottleSettings): Plan {
  const given = control.rate !== undefined || control.ratio !== undefined || control.boost !== undefined;
  if (control.throttle === undefined && !given) return plan;
  if (control.throttle === false || control.rate === 0) return noBt(plan);
  const bt = plan.throttle;
  const bandwidth = control.rate ?? (bt && plan.bandwidth !== null ? plan.bandwidth : settings.bandwidth);
  const ratio = control.ratio ?? (control.rate !== undefined ? 100 : bt ? plan.ratio : settings.ratio);
  const rate = (bandwidth * ratio) / 100;
  if (!(rate > 0)) return noBt(plan);
  const boost: BoostValue =
    control.boost ?? (bt ? (plan.boostBy === 'bytes' ? { bytes: plan.boostBytes } : { seconds: plan.boostSeconds }) : settings.boostBytes !== undefined ? { bytes: settings.boostBytes } : { seconds: settings.boost });
  const byBytes = 'bytes' in boost;
  const out: Plan = {
    ...plan,
    throttle: true,
    bandwidth,
    ratio,
    rate,
    boostSeconds: byBytes ? boost.bytes / rate : boost.seconds,
    boostBytes: byBytes ? boost.bytes : boost.seconds * rate,
    dynamic: control.rate === undefined && bt && plan.dynamic,
  };
  if (byBytes) out.boostBy = 'bytes';
  else delete out.boostBy;
  // The query's ceiling bounds what a client asks for, not what the app sets.
  delete out.maxRate;
  return Object.freeze(out);
}

function noBt(plan: Plan): Plan {
  if (!plan.throttle) return plan;
  const out: Plan = { ...plan, throttle: false, bandwidth: null, ratio: 100, boostSeconds: 0, boostBytes: 0, rate: null, dynamic: false };
  delete out.boostBy;
  return Object.freeze(out);
}
