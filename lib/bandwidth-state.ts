import { debuglog } from 'node:util';
import type { VhostConfig } from './config/config-model';
import { BOOST_FORMS, parseBoostValue, type BoostValue } from './config/boost';
import { readPercent, readRate, type Percent, type Rate } from './config/amount';
import { isAmount } from './config/units';
import { OptionError } from './errors';
import type { MeteredBody } from './meter/metered-body';
import { applyControl, type PlanControl } from './policy/plan-control';
import { resolvePlan, withEncodingRate, type ResolveExtras, type RouteOverride } from './policy/resolve-plan';
import type { ClientAddress } from './policy/trusted-proxies';
import type { BandwidthRuntime } from './runtime';
import type { Plan, RequestFacts } from './types';

const debug = debuglog('koa-bandwidth');

/** No control at all: shared, frozen. */
const NONE: PlanControl = Object.freeze({});

/**
 * A change to one response's plan, from a handler (`ctx.bandwidth.set()`) or by session id
 * (`bw.retune()`). Every field is optional; fields left out keep their value.
 */
export interface BandwidthChange {
  /** `false`: no BT for this response (the caps still apply). `true`: BT even where no rule matched. */
  throttle?: boolean;
  /**
   * The bandwidth: bytes/s, or a string with its unit (`'2mbps'`, `'500kbps'`, `'64KiB/s'`).
   * The ratio is 100 unless one is set. `0` or `null`: no BT.
   */
  rate?: Rate | null;
  /** Percent of the bandwidth (`50` or `'50%'` halves it). */
  ratio?: Percent;
  /** Seconds, or a string: `'5s'`, `'1min 30secs'`, or bytes such as `'512KB'`. */
  boost?: number | string;
}

/**
 * Per-request state, at `ctx.bandwidth` for requests on a configured vhost (absent for hosts
 * that match none: they pass through untouched). Besides what was resolved, it is the
 * per-response switch, in Koa's idiom (like `ctx.compress`): set it from a handler before the
 * body is sent, or while the response runs, and the meter follows within a tick
 * (docs/config.md#per-response-control-ctxbandwidth).
 *
 * @example
 * ```ts
 * router.get('/live/:id', (ctx) => {
 *   if (ctx.state.user?.premium) ctx.bandwidth?.set({ throttle: false }); // no BT
 *   else ctx.bandwidth?.set({ rate: '2mbps', boost: '10s' });           // 10 s unthrottled, then 2 Mbps
 *   ctx.body = stream;
 * });
 * ```
 */
export class BandwidthState {
  /** The route override set by `route()`, if any. */
  override: RouteOverride | null = null;
  private resolved: Plan;
  private bitrate: number | null | undefined = undefined;
  private control: PlanControl = NONE;
  private upstream: PlanControl = NONE;
  private current: Plan | null = null;
  private body: MeteredBody | null = null;
  /** The vhost's caps after a reload, for the plan records and stats show (the meter has its own). */
  private caps: { trafficCap: number; sessionCap: number } | null = null;
  /** Code replaced the resolved plan: a second resolution (MIME rules) must not undo it. */
  private assigned = false;

  constructor(
    readonly vhost: VhostConfig,
    readonly facts: RequestFacts,
    /** The query string as the client sent it, BT params included. */
    readonly originalQuerystring: string,
    private readonly runtime: BandwidthRuntime,
    private readonly extras: ResolveExtras,
    /** Where the client address comes from (the middleware's request facts); default: `facts.ip` as the peer. */
    private readonly source: { client(): ClientAddress } | null = null,
  ) {
    this.resolved = resolvePlan(facts, vhost, null, runtime.options.limits, extras);
  }

  /**
   * The plan in force: the resolved one (rules, route, query), with the probed encoding rate
   * for `x` plans, under what the app set. A new object on each change, never mutated.
   */
  get plan(): Plan {
    if (this.current === null) {
      const base = this.bitrate === undefined ? this.resolved : withEncodingRate(this.resolved, this.bitrate);
      // Nearly every response has no control: no merged object to build.
      const control = this.upstream === NONE ? this.control : this.control === NONE ? this.upstream : { ...this.upstream, ...this.control };
      const plan = control === NONE ? base : applyControl(base, control, this.vhost.settings);
      this.current = this.caps === null ? plan : Object.freeze({ ...plan, ...this.caps });
    }
    return this.current;
  }

  /**
   * Replace the resolved plan (what rules, route and query gave), keeping what the app set on
   * top of it. For code that computes its own plan; handlers should prefer `set()`.
   */
  set plan(plan: Plan) {
    this.assigned = true;
    this.resolved = plan;
    this.bitrate = undefined;
    this.changed();
  }

  /** The client's address as rules, sessions and records see it (after trusted proxies). */
  get clientIp(): string {
    return this.client.ip;
  }

  /** The client's address and which trusted hop reported it. */
  get client(): ClientAddress {
    return this.source ? this.source.client() : { ip: this.facts.ip, source: 'socket', via: null, protocol: null };
  }

  /** Whether the response is being metered now (a change applies to it in flight). */
  get metered(): boolean {
    return this.body !== null && !this.body.destroyed && !this.body.flow.closed;
  }

  /** Apply a route override (docs/config.md: `query > route > rules > settings`). */
  setOverride(override: RouteOverride): Plan {
    this.override = override;
    this.assigned = false;
    this.resolved = resolvePlan(this.facts, this.vhost, override, this.runtime.options.limits, this.extras);
    return this.changed();
  }

  /**
   * Change this response's plan: BT on or off, its rate, ratio or boost. Before the body is
   * sent it shapes the whole response; while the response runs it applies from the next tick
   * (a boost already spent stays spent). It ranks above rules, routes and the query. A
   * response that started with no limit at all (no BT, no caps) is not metered and keeps
   * going at full speed.
   *
   * @example
   * ```ts
   * ctx.bandwidth?.set({ rate: '1mbps', boost: '512KB' });
   * ```
   * @returns the new plan.
   * @throws OptionError for a value out of range (the app's mistake, not the client's).
   */
  set(change: BandwidthChange): Plan {
    this.control = mergeControl(this.control, readChange(change));
    return this.changed();
  }

  /** `false` turns BT off for this response; `true` turns it on. Reads whether BT applies. */
  get throttle(): boolean {
    return this.plan.throttle;
  }
  set throttle(on: boolean) {
    this.set({ throttle: on });
  }

  /** The BT rate in bytes/s (null: no BT). Set a number in bytes/s or a string with its unit. */
  get rate(): number | null {
    return this.plan.rate;
  }
  set rate(rate: Rate | null) {
    this.set({ rate });
  }

  /** The ratio, percent. */
  get ratio(): number {
    return this.plan.ratio;
  }
  set ratio(ratio: Percent) {
    this.set({ ratio });
  }

  /** The boost in seconds. Set seconds, or a string (`'5s'`, `'1min 30secs'`, `'512KB'`). */
  get boost(): number {
    return this.plan.boostSeconds;
  }
  set boost(boost: number | string) {
    this.set({ boost });
  }

  /** @internal The probe's encoding rate for `x` plans. */
  setEncodingRate(bitsPerSecond: number | null): void {
    this.bitrate = bitsPerSecond;
    this.changed();
  }

  /** @internal An upstream's `X-Accel-Limit-Rate`: a layer under the app's own word. */
  setUpstream(control: PlanControl): void {
    this.upstream = control;
    this.changed();
  }

  /** @internal Resolve again once the response's type is known (a vhost with `MIME[...]` rules). */
  resolveAgain(): void {
    if (this.assigned) return;
    this.resolved = resolvePlan(this.facts, this.vhost, this.override, this.runtime.options.limits, this.extras);
    this.changed();
  }

  /** @internal A reload changed the vhost's caps; the meter already has them (`engine.retuneVhost`). */
  setCaps(caps: { trafficCap: number; sessionCap: number }): void {
    if (this.plan.trafficCap === caps.trafficCap && this.plan.sessionCap === caps.sessionCap) return;
    this.caps = caps;
    this.current = null;
    if (this.body !== null) this.runtime.replan(this.body, this.plan);
  }

  /** @internal The metered body: changes from now on retune it. */
  attach(body: MeteredBody): void {
    this.body = body;
  }

  private changed(): Plan {
    const before = this.current;
    this.current = null;
    const plan = this.plan;
    if (this.body !== null && before !== plan && this.metered) {
      this.runtime.engine.retune(this.body, { rate: plan.throttle ? plan.rate : null, boostBytes: plan.throttle ? plan.boostBytes : 0 });
      this.runtime.replan(this.body, plan);
      debug('retuned a running response: rate %s', plan.throttle ? plan.rate : 'none');
    }
    return plan;
  }
}

/** Validate a change once; bad values throw OptionError naming the field and its range. */
export function readChange(change: BandwidthChange): PlanControl {
  if (change === null || typeof change !== 'object') throw new OptionError('ctx.bandwidth.set', 'an object { throttle?, rate?, ratio?, boost? }', change);
  for (const k of Object.keys(change)) {
    if (!['throttle', 'rate', 'ratio', 'boost'].includes(k)) throw new OptionError(`ctx.bandwidth.${k}`, 'one of throttle, rate, ratio, boost', (change as Record<string, unknown>)[k]);
  }
  const out: PlanControl = {};
  const { throttle, rate, ratio, boost } = change;
  if (throttle !== undefined) {
    if (typeof throttle !== 'boolean') throw new OptionError('ctx.bandwidth.throttle', 'true or false', throttle);
    out.throttle = throttle;
  }
  if (rate !== undefined) {
    // One rule for every amount given in JavaScript (docs/config.md, "Amounts in JavaScript").
    const r = rate === null ? ({ ok: true, value: 0 } as const) : readRate(rate);
    if (!r.ok) throw new OptionError('ctx.bandwidth.rate', `${r.expected}, or null`, rate);
    out.rate = r.value;
  }
  if (ratio !== undefined) {
    const r = readPercent(ratio);
    if (!r.ok) throw new OptionError('ctx.bandwidth.ratio', r.expected, ratio);
    out.ratio = r.value;
  }
  if (boost !== undefined) {
    const b: BoostValue | null = typeof boost === 'number' ? (isAmount(boost) ? { seconds: boost } : null) : typeof boost === 'string' ? parseBoostValue(boost) : null;
    if (b === null) throw new OptionError('ctx.bandwidth.boost', BOOST_FORMS, boost);
    out.boost = b;
  }
  return out;
}

/**
 * A later change keeps what an earlier one set unless it sets it again. Giving a rate,
 * ratio or boost turns BT on (a `throttle: false` given earlier is dropped); `throttle: false`
 * turns it off and keeps the rest for a later `throttle: true`.
 */
export function mergeControl(prev: PlanControl, next: PlanControl): PlanControl {
  const out: PlanControl = { ...prev, ...next };
  const gives = next.rate !== undefined || next.ratio !== undefined || next.boost !== undefined;
  if (gives && next.throttle === undefined) out.throttle = true;
  if (next.rate === 0) out.throttle = false;
  if (out.rate === 0) delete out.rate;
  return out;
}
