import type { VhostConfig } from '../config/config-model';
import type { BandwidthSpec, Plan, QueryValue, RequestFacts } from '../types';
import { MatchContext, type GeoIp } from './match-context';
import { readQueryValues, type QueryField, type QueryLimits, type QueryValues } from './read-query';
import type { Rule } from './rule';

export type { QueryLimits } from './read-query';

/** A route's override (docs/integration.md), already validated and converted to bytes/s. */
export interface RouteOverride {
  bandwidth?: BandwidthSpec;
  /** Percent. */
  ratio?: number;
  /** Seconds. */
  boost?: number;
  /** A byte boost, in place of `boost` seconds. */
  boostBytes?: number;
}

/** Default query limits: 1 Gbit/s, 1000 %, 600 s. */
export const DEFAULT_LIMITS: Readonly<QueryLimits> = Object.freeze({ bandwidth: 125_000_000, ratio: 1000, boost: 600 });

/** Extra inputs of the resolver that are not request facts. */
export interface ResolveExtras {
  geoip?: GeoIp;
  /** Called for each query value that is ignored or clamped, with why (debuglog, `explain`). */
  onQueryValue?: (field: QueryField, raw: QueryValue, outcome: 'ignored' | 'clamped', reason: string, param: string) => void;
}

/**
 * Resolve a request's plan (docs/config.md). Pure: plain data in, a frozen Plan out.
 * Precedence `query > route > rules > settings`; any `no` (rule or route) means no BT; BT
 * applies only when a rule matched, the route gave a field or the query gave one.
 * Session and TrafficCap always come from the vhost. Query values are read by
 * {@link readQueryValues}: only positive plain decimals count, clamped to `limits`, and a
 * plan whose bandwidth or ratio came from the query has its rate clamped to `limits.bandwidth`.
 *
 * @example
 * const plan = resolvePlan({ ip: '192.168.1.1', path: '/a.mp4', headers: {}, query: {} }, vhost, null, DEFAULT_LIMITS);
 */
export function resolvePlan(facts: RequestFacts, vhost: VhostConfig, route: RouteOverride | null, limits: QueryLimits, extras: ResolveExtras = {}): Plan {
  if (!vhost.throttling) return noBt(vhost, null);
  const rule = vhost.rules.length === 0 ? null : firstMatch(vhost.rules, new MatchContext(facts, extras.geoip));
  if (rule?.bandwidth?.kind === 'no' || route?.bandwidth?.kind === 'no') return noBt(vhost, rule);

  const fq = facts.query;
  const q = vhost.queryString && (fq.bandwidth !== undefined || fq.ratio !== undefined || fq.boost !== undefined) ? readQuery(facts, vhost, limits, extras) : NO_QUERY;
  const givenByQuery = q.bandwidth !== undefined || q.ratio !== undefined || q.boost !== undefined;
  const givenByRoute = route !== null && (route.bandwidth !== undefined || route.ratio !== undefined || route.boost !== undefined);
  if (!rule && !givenByQuery && !givenByRoute) return noBt(vhost, null);

  const s = vhost.settings;
  const spec: BandwidthSpec = q.bandwidth !== undefined ? { kind: 'fixed', bytesPerSecond: q.bandwidth } : (route?.bandwidth ?? rule?.bandwidth ?? { kind: 'fixed', bytesPerSecond: s.bandwidth });
  const ratio = q.ratio ?? route?.ratio ?? rule?.ratio ?? s.ratio;
  // The first layer that gives a boost, in seconds or in bytes, gives it.
  const boost = q.boost !== undefined ? { seconds: q.boost } : (boostOf(route) ?? boostOf(rule) ?? (s.boostBytes !== undefined ? { bytes: s.boostBytes } : { seconds: s.boost }));
  // `x` falls back to <Settings>, `Nx` to N, until the probe supplies the encoding rate (docs/config.md).
  const bandwidth = spec.kind === 'fixed' ? spec.bytesPerSecond : spec.kind === 'dynamic' ? (spec.fallbackBytesPerSecond ?? s.bandwidth) : s.bandwidth;
  // A client may lower its rate, never raise it past limits.bandwidth, whatever it combines.
  // (A limit of 0 only stops the query setting the bandwidth: it must not make the rate 0.)
  const maxRate = (q.bandwidth !== undefined || q.ratio !== undefined) && limits.bandwidth > 0 ? limits.bandwidth : undefined;
  const rate = Math.min((bandwidth * ratio) / 100, maxRate ?? Infinity);
  const byBytes = 'bytes' in boost;
  return Object.freeze({
    vhost: vhost.name,
    throttle: true,
    rule: rule ? { line: rule.line, text: rule.text } : null,
    bandwidth,
    ratio,
    boostSeconds: byBytes ? (rate > 0 ? boost.bytes / rate : 0) : boost.seconds,
    boostBytes: byBytes ? boost.bytes : boost.seconds * rate,
    ...(byBytes ? { boostBy: 'bytes' as const } : {}),
    rate,
    dynamic: spec.kind === 'dynamic',
    sessionCap: vhost.sessionCap,
    trafficCap: vhost.trafficCap,
    ...(maxRate !== undefined && { maxRate }),
  });
}

/**
 * Apply a probed encoding rate to a dynamic plan (`x`, `Nx`): bandwidth becomes the
 * encoding rate in bytes/s, and rate and boost bytes follow. Null keeps the fallback.
 */
export function withEncodingRate(plan: Plan, bitsPerSecond: number | null): Plan {
  if (!plan.dynamic || !plan.throttle || bitsPerSecond === null || !Number.isFinite(bitsPerSecond) || bitsPerSecond <= 0) return plan;
  const bandwidth = bitsPerSecond / 8;
  const rate = Math.min((bandwidth * plan.ratio) / 100, plan.maxRate ?? Infinity);
  if (plan.boostBy === 'bytes') return Object.freeze({ ...plan, bandwidth, rate, boostSeconds: rate > 0 ? plan.boostBytes / rate : 0 });
  return Object.freeze({ ...plan, bandwidth, rate, boostBytes: plan.boostSeconds * rate });
}

/** A layer's boost (route or rule), if it gives one. */
function boostOf(layer: { boost?: number; boostBytes?: number } | null | undefined): { seconds: number } | { bytes: number } | undefined {
  if (!layer) return undefined;
  if (layer.boostBytes !== undefined) return { bytes: layer.boostBytes };
  return layer.boost !== undefined ? { seconds: layer.boost } : undefined;
}

function firstMatch(rules: readonly Rule[], m: MatchContext): Rule | null {
  for (const r of rules) if (r.condition(m)) return r;
  return null;
}

const NO_QUERY: QueryValues = Object.freeze({});

/** No-BT plans are the same for every request of a vhost (or of its `no` rule): made once. */
const noBtPlans = new WeakMap<VhostConfig, Map<Rule | null, Plan>>();
/** The one a vhost's requests get when no rule matched (nearly all): one lookup, not two. */
const plainPlans = new WeakMap<VhostConfig, Plan>();

function noBt(vhost: VhostConfig, rule: Rule | null): Plan {
  if (rule === null) {
    let plan = plainPlans.get(vhost);
    if (!plan) plainPlans.set(vhost, (plan = makeNoBt(vhost, null)));
    return plan;
  }
  let byRule = noBtPlans.get(vhost);
  if (!byRule) noBtPlans.set(vhost, (byRule = new Map()));
  let plan = byRule.get(rule);
  if (!plan) byRule.set(rule, (plan = makeNoBt(vhost, rule ? { line: rule.line, text: rule.text } : null)));
  return plan;
}

function makeNoBt(vhost: VhostConfig, rule: Plan['rule']): Plan {
  return Object.freeze({
    vhost: vhost.name,
    throttle: false,
    rule,
    bandwidth: null,
    ratio: 100,
    boostSeconds: 0,
    boostBytes: 0,
    rate: null,
    dynamic: false,
    sessionCap: vhost.sessionCap,
    trafficCap: vhost.trafficCap,
  });
}

/** The query's values, each note passed to `onQueryValue` (debuglog, `explain`). */
function readQuery(facts: RequestFacts, vhost: VhostConfig, limits: QueryLimits, extras: ResolveExtras): QueryValues {
  const { values, notes } = readQueryValues(facts.query, vhost, limits);
  if (extras.onQueryValue) for (const n of notes) extras.onQueryValue(n.field, n.raw, n.outcome, n.reason, n.param);
  return values;
}
