import type { Plan, SegmentFacts } from '../types';

/**
 * One finished response, as the access log, the `response` event and the
 * `koa-bandwidth:response` diagnostics channel carry it (docs/observability.md).
 */
export interface ResponseRecord {
  /** When the response ended, ISO 8601. */
  time: string;
  /** The configured vhost, or `_unmatched` for a Host that matches none. */
  vhost: string;
  /** The session id (`s1`, `s2`, …), stable across a connection's responses. */
  session: string;
  ip: string;
  method: string;
  /** The URL as seen downstream: BT params stripped (docs/spec.md §3). */
  url: string;
  status: number;
  /** Body bytes actually written to the client. */
  bytes: number;
  durationMs: number;
  /** Average over the whole response, 1000 bit/s. */
  rateKbps: number;
  plan: RecordPlan;
  /** The client went away before the body was complete. */
  aborted: boolean;
}

/** The plan as a record shows it: rates in kbps, as `explain` prints them. */
export interface RecordPlan {
  throttle: boolean;
  rule: { line: number; text: string } | null;
  /** Effective BT rate after ratio, 1000 bit/s; null when no BT. */
  bandwidthKbps: number | null;
  ratio: number;
  boostSeconds: number;
  dynamic: boolean;
  /** HLS/DASH requests: the segment's kind, duration, sequence number, boosted fraction and viewer (docs/segmented.md). */
  segment?: SegmentFacts;
}

export interface RecordInput {
  end: number;
  start: number;
  vhost: string;
  session: string;
  ip: string;
  method: string;
  url: string;
  status: number;
  bytes: number;
  aborted: boolean;
  plan: Plan | null;
}

/** bytes/s → 1000 bit/s, to three decimals. */
export function toKbps(bytesPerSecond: number): number {
  return Math.round(bytesPerSecond * 8) / 1000;
}

/** Builds a record from what the middleware and the meter know at the end of a response. */
export function buildRecord(input: RecordInput): ResponseRecord {
  const durationMs = Math.max(0, input.end - input.start);
  const plan = input.plan;
  return {
    time: new Date(input.end).toISOString(),
    vhost: input.vhost,
    session: input.session,
    ip: input.ip,
    method: input.method,
    url: input.url,
    status: input.status,
    bytes: input.bytes,
    durationMs,
    rateKbps: durationMs > 0 ? toKbps((input.bytes * 1000) / durationMs) : 0,
    plan: {
      throttle: plan?.throttle ?? false,
      rule: plan?.rule ?? null,
      bandwidthKbps: plan?.throttle && plan.rate != null ? toKbps(plan.rate) : null,
      ratio: plan?.ratio ?? 100,
      boostSeconds: plan?.boostSeconds ?? 0,
      dynamic: plan?.dynamic ?? false,
      ...(plan?.segment ? { segment: plan.segment } : {}),
    },
    aborted: input.aborted,
  };
}
