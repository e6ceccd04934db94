import { withEncodingRate } from '../policy/resolve-plan';
import type { Plan, SegmentFacts } from '../types';

/**
 * The plan of a segmented request (docs/segmented.md). Pure.
 * - Playlists and init segments: no BT (the MP4 header's analogue); the session cap and
 *   TrafficCap still apply.
 * - Media segments: `x` takes `size × 8 ÷ duration`; the boost is the viewer's, so it
 *   covers `boosted × size` bytes of this segment (0 when the viewer's boost is spent).
 *
 * @example
 * ```ts
 * segmentPlan(plan, { kind: 'media', duration: 2, seq: 3, boosted: 0, viewer: 'abc', viewerSource: 'cmcd' }, 50_000);
 * // x rule at 150 %: rate 37,500 B/s, boostBytes 0
 * ```
 */
export function segmentPlan(plan: Plan, segment: SegmentFacts, size: number | null): Plan {
  if (segment.kind !== 'media' || !plan.throttle) {
    return Object.freeze({ ...plan, throttle: false, bandwidth: null, rate: null, boostBytes: 0, boostSeconds: plan.throttle ? plan.boostSeconds : 0, segment });
  }
  const sized = size !== null && Number.isFinite(size) && size > 0;
  const rated = sized && segment.duration !== null ? withEncodingRate(plan, (size * 8) / segment.duration) : plan;
  return Object.freeze({ ...rated, boostBytes: sized ? Math.floor(segment.boosted * size) : 0, segment });
}

/**
 * Seconds of media a segment counts for in the viewer's boost: its duration, else what its
 * size lasts at the plan's bandwidth before ratio (the rule's rate stands in for the media's).
 */
export function mediaSeconds(plan: Plan, duration: number | null, size: number | null): number {
  if (duration !== null) return duration;
  if (size === null || plan.bandwidth === null || plan.bandwidth <= 0) return 0;
  return size / plan.bandwidth;
}
