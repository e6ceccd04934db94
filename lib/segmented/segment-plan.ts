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

/**
 * A segment's plan slowed so that its paced bytes take `seconds` (docs/segmented.md: a
 * viewer's segments follow one another, so one fetched ahead shares the viewer's pace rather
 * than adding to it). Never faster than the plan; unchanged without BT or a size.
 *
 * @example
 * ```ts
 * spreadPlan(plan, 50_000, 2.67); // plan.rate 37,500 → 18,727 B/s (the bytes after the boost)
 * ```
 */
export function spreadPlan(plan: Plan, size: number | null, seconds: number): Plan {
  if (!plan.throttle || plan.rate === null || plan.rate <= 0 || size === null || !(seconds > 0)) return plan;
  const paced = size - plan.boostBytes;
  if (paced <= 0) return plan;
  const rate = paced / seconds;
  return rate < plan.rate ? Object.freeze({ ...plan, rate }) : plan;
}

/** Seconds the paced part of a segment takes at its plan's own rate (0 without BT or a size). */
export function pacedSeconds(plan: Plan, size: number | null): number {
  if (!plan.throttle || plan.rate === null || plan.rate <= 0 || size === null) return 0;
  return Math.max(0, size - plan.boostBytes) / plan.rate;
}
