import type { Plan } from '../types';
import { MAX_BITS_PER_SECOND, type SdpBandwidthPlan } from './sdp-plan';

/** The least a throttled call is given, bits/s: a 0 rate must not read as "no limit" (b=AS:0). */
export const MIN_CALL_BITS_PER_SECOND = 1000;

/**
 * A request's plan, as the SDP writer takes it: the BT rate (`bandwidth × ratio`, what
 * `throttling.txt`, the route and the query resolved) in bits/s, with the caller's shares.
 * Null when BT does not apply (a `no` rule or route, no rule matched, a host outside every
 * vhost): the description is then left as it is. Boost, TrafficCap and Session caps meter
 * bytes this server sends; call media flows between peers, so they do not apply.
 *
 * @example
 * ```ts
 * const plan = callPlan(ctx.bandwidth?.plan, { shares: { audio: 1, video: 4 } });
 * ```
 */
export function callPlan(plan: Plan | undefined | null, extra: Omit<SdpBandwidthPlan, 'bitsPerSecond'> = {}): SdpBandwidthPlan | null {
  if (!plan || !plan.throttle || plan.rate === null) return null;
  // Past 1 Tbit/s a limit limits nothing: clamping it there lifts no limit.
  const bps = Math.min(MAX_BITS_PER_SECOND, Math.max(MIN_CALL_BITS_PER_SECOND, Math.floor(plan.rate * 8)));
  return { ...extra, bitsPerSecond: bps };
}
