/**
 * The scheduler's model: a vhost, its sessions, and the flows (metered responses) of each,
 * with their buckets and counters. Plain state; the decisions are in scheduler.ts.
 */
import type { ByteRange, CapStore, Plan } from '../types';
import { ExemptCursor } from './exempt-cursor';
import { RateWindow } from './rate-window';
import { TokenBucket } from './token-bucket';

/** A session key: the connection object, or a string (`ip:…`, or a user function's result). */
export type SessionKey = object | string;

/** What the scheduler needs to meter one response body. Rates in bytes/s, 0 = no cap. */
export interface FlowSpec {
  vhost: string;
  session: SessionKey;
  /** The id stats show for the session; default `s<n>`. */
  sessionId?: string;
  ip: string;
  /** BT rate, bytes/s; null = no BT. */
  rate: number | null;
  boostBytes: number;
  sessionCap: number;
  trafficCap: number;
  /** Body-relative byte ranges sent BT-free (the media header bytes this response carries). */
  exempt: readonly ByteRange[];
  /** Body length in bytes; Infinity when unknown. */
  length: number;
  plan?: Plan;
  /** The flow may send up to `n` bytes now. Its owner reports what went out with `sent()`. */
  onGrant: (n: number) => void;
}

/** Injected timer functions; the default uses unref'd `setTimeout`. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface SchedulerOptions {
  store: CapStore;
  /** Milliseconds, monotonic. */
  clock: () => number;
  timers: Timers;
  /** Allocation period, ms. */
  tickMs: number;
  /** A slow flow writes at least this often (ms), so writes are not tick-sized. */
  flushMs: number;
  /** Seconds of rate a stalled bucket may bank. */
  burstSeconds: number;
}

/** The largest write. */
export const CHUNK_MAX = 64 * 1024;
let phaseSeq = 0;

/**
 * A flow's write phase, a fraction in (0, 1] that differs from flow to flow. Flows that start
 * together at the same rate would otherwise write in the same tick forever after, and a
 * vhost's aggregate would come in bursts of every session at once; the scheduler makes each
 * flow's second throttled write come after this fraction of a full write period, which
 * spreads them. The fractions follow the golden-ratio sequence: evenly spread for any number
 * of flows, and deterministic for tests.
 */
export function nextPhase(): number {
  phaseSeq = (phaseSeq + 1) % 1_000_003;
  return 1 - ((phaseSeq * 0.6180339887498949) % 1);
}
/**
 * How a slow flow batches its writes: it writes every flush period once it holds `minWrite`
 * bytes, and at the latest every `maxPeriods` flush periods. At 10,000 sessions of 64 kbps the
 * server's time goes to the socket write, the file read and the buffer each write needs,
 * whatever their size, so fewer, larger writes cost less.
 */
export interface WritePace {
  readonly minWrite: number;
  readonly maxPeriods: number;
  /** Credit the flow writes at once, whatever its age. */
  readonly flushBytes: number;
  /** A sleep longer than a tick is rounded up to a grain of one flush period (scheduler.ts). */
  readonly grained: boolean;
}

/**
 * A flow limited by BT alone has a fixed rate: it writes 32 KiB, or every 4 s (16 × 250 ms)
 * at the latest. At 64 kbps that is one 32 KiB write every 4 s. The cost of a slow viewer is
 * the number of writes, whatever their size: 16 KiB every 2 s took the 10,000-session bench
 * from 102 % to under 40 % of a core, and 32 KiB every 4 s cut the viewers workloads' CPU per
 * GB by another quarter to a third (docs/performance.md). A player buffers far more than 4 s
 * once its boost is in; an engine's `flushMs: 125` halves the period where it does not.
 */
export const SOLO_PACE: WritePace = { minWrite: 32 * 1024, maxPeriods: 16, flushBytes: 32 * 1024, grained: true };

/**
 * A flow under a session cap or TrafficCap gets a share that moves as sessions come and go
 * and as the fleet's leases arrive: it writes 8 KiB, or every second at the latest, so a
 * short supply dip shows as a short gap, not a long one (the fleet fault test's 250 ms bound).
 */
export const SHARED_PACE: WritePace = { minWrite: 8 * 1024, maxPeriods: 4, flushBytes: 16 * 1024, grained: false };

/**
 * A bucket banks `burstSeconds` of its rate, and at least two of the flow's longest sleeps:
 * what accrues while a slow flow sleeps, plus event-loop lag on a loaded server, must not be
 * clipped. A flow sleeps until it holds a full write (`flushBytes`) or for `maxPeriods` flush
 * periods, whichever comes first, plus the grain its wake is rounded up to: 4.25 s at 64 kbps
 * (an 8.5 s burst), a millisecond at 100 Mbps,
 * whose bucket then banks `burstSeconds` only, so a client that stalls a moment does not get
 * seconds of a fast rate at once when it resumes. Never a fixed byte floor, which would be
 * many seconds of a slow rate.
 */
export function burstOf(rate: number, o: Pick<SchedulerOptions, 'flushMs' | 'tickMs' | 'burstSeconds'>, pace: WritePace): number {
  const sleepMs = Math.min(pace.maxPeriods * o.flushMs, (pace.flushBytes / rate) * 1000);
  // A BT-only flow's wake is rounded up to the grain: at 2 Mbit/s a 131 ms sleep became 250 ms
  // and more, and a bucket sized for 131 ms clipped what accrued (−0.8 % at the client).
  const longestSleepMs = pace.grained && sleepMs > o.tickMs ? sleepMs + o.flushMs : sleepMs;
  return rate * Math.max(o.burstSeconds, (2 * longestSleepMs) / 1000);
}

export class Vhost {
  cap = 0;
  pool = 0;
  leasing = false;
  bytesSent = 0;
  readonly window = new RateWindow();
  readonly sessions = new Map<SessionKey, Session>();
  readonly waiting = new Set<Session>();
  constructor(readonly name: string) {}
}

export class Session {
  cap = 0;
  bucket: TokenBucket | null = null;
  bytesSent = 0;
  plan: Plan | null = null;
  demand = 0;
  /** Bytes its waiting flows still had to be granted after the last allocation. */
  left = 0;
  readonly window = new RateWindow();
  readonly flows = new Set<Flow>();
  readonly waiting = new Set<Flow>();
  constructor(
    readonly id: string,
    readonly key: SessionKey,
    readonly vhost: Vhost,
    readonly ip: string,
  ) {}
}

export class Flow {
  credit = 0;
  granted = 0;
  sent = 0;
  wanting = false;
  busy = false;
  closed = false;
  /** Every byte of the body was handed out. */
  done = false;
  /** The last allowance was exempt bytes (BT flows only). */
  inFree: boolean;
  demand = 0;
  wakeSlot = -1;
  lastFlush: number;
  /** Credit a slow flow waits for before it writes: `pace.minWrite`, or `phase` of it once. */
  minWrite: number;
  /** The next write waits at least this long after the last (ms) for `minWrite`... */
  minAge = 0;
  /** ...and at most this long (write-pace.ts). */
  maxAge: number;
  /** See nextPhase; applied once, at the flow's first throttled write. */
  readonly phase = nextPhase();
  phased = false;
  // The limits below change only through `setLimits` (live retuning).
  capped: boolean;
  pace: WritePace;
  holdMax: number;
  bt: TokenBucket | null;
  cursor: ExemptCursor;
  /** The boost budget the cursor started with, to know how much of it is spent. */
  boostBytes: number;
  constructor(
    readonly spec: FlowSpec,
    readonly session: Session,
    now: number,
    o: SchedulerOptions,
  ) {
    this.capped = spec.sessionCap > 0 || spec.trafficCap > 0;
    this.pace = this.capped ? SHARED_PACE : SOLO_PACE;
    this.minWrite = this.pace.minWrite;
    this.inFree = spec.rate != null;
    this.holdMax = holdMaxOf(spec, o);
    this.bt = spec.rate == null ? null : new TokenBucket(spec.rate, burstOf(spec.rate, o, this.pace), now);
    this.boostBytes = spec.rate == null ? 0 : spec.boostBytes;
    this.cursor = new ExemptCursor(spec.exempt, this.boostBytes);
    // The first write goes out after about one tick rather than a whole write period, so a
    // player sees its first bytes at once even without a header or boost.
    this.lastFlush = now;
    this.maxAge = o.tickMs;
  }

  /**
   * The flow made a throttled write: the next waits for a full write period, except the one
   * after the first, which waits `phase` of it (see nextPhase).
   */
  paced(flushMs: number): void {
    const period = this.pace.maxPeriods * flushMs;
    if (this.phased) {
      this.minWrite = this.pace.minWrite;
      this.minAge = flushMs;
      this.maxAge = period;
      return;
    }
    this.phased = true;
    this.minWrite = Math.max(1, Math.floor(this.pace.minWrite * this.phase));
    this.minAge = flushMs - (1 - this.phase) * period;
    this.maxAge = this.phase * period;
  }
}

/** Enough credit for a few ticks at the tightest limit, so a fast flow is never starved by the hold bound; at least one chunk so unlimited bytes go out in full chunks. */
function holdMaxOf(spec: Pick<FlowSpec, 'rate' | 'sessionCap' | 'trafficCap'>, o: SchedulerOptions): number {
  const limit = Math.min(spec.rate ?? Infinity, spec.sessionCap || Infinity, spec.trafficCap || Infinity);
  return Number.isFinite(limit) ? Math.max(CHUNK_MAX, Math.ceil((limit * o.tickMs * 4) / 1000)) : CHUNK_MAX;
}

/** The limits of a flow that live retuning may change. Rates in bytes/s; 0 = no cap; rate null = no BT. */
export interface FlowLimits {
  rate: number | null;
  /** The whole boost budget from the body's start, bytes (what is already spent stays spent). */
  boostBytes: number;
  sessionCap: number;
  trafficCap: number;
}

/**
 * Give a flow new limits (live retuning, docs/metering.md#live-retuning). Tokens earned at the
 * old rate up to `now` are kept (up to the new burst); the spent boost stays spent; header
 * bytes stay exempt. The caller (the scheduler) takes the flow off its wheel or queue first
 * and serves it again after, since its pace may change.
 */
export function setLimits(f: Flow, limits: Partial<FlowLimits>, now: number, o: SchedulerOptions): void {
  const spec = f.spec;
  if (limits.sessionCap !== undefined) spec.sessionCap = limits.sessionCap;
  if (limits.trafficCap !== undefined) spec.trafficCap = limits.trafficCap;
  f.capped = spec.sessionCap > 0 || spec.trafficCap > 0;
  f.pace = f.capped ? SHARED_PACE : SOLO_PACE;
  if (limits.rate !== undefined || limits.boostBytes !== undefined) {
    const rate = limits.rate !== undefined ? (limits.rate != null && limits.rate > 0 ? limits.rate : null) : spec.rate;
    const boost = limits.boostBytes ?? f.boostBytes;
    if (rate === null) {
      f.bt = null;
      f.inFree = false;
    } else if (f.bt) {
      f.bt.refill(now);
      f.bt.rate = rate;
      f.bt.burst = burstOf(rate, o, f.pace);
      f.bt.tokens = Math.min(f.bt.tokens, f.bt.burst);
    } else {
      f.bt = new TokenBucket(rate, burstOf(rate, o, f.pace), now);
      f.inFree = true;
    }
    const spent = f.boostBytes - f.cursor.boostLeft;
    if (rate !== null && (boost !== f.boostBytes || spec.rate == null)) {
      // A fresh cursor from the flow's position: header ranges ahead stay exempt, and what is
      // left of the new boost budget is spent next.
      f.cursor = new ExemptCursor(spec.exempt.filter((r) => r.end > f.granted), Math.max(0, boost - (spec.rate == null ? f.granted : spent)));
    }
    f.boostBytes = boost;
    spec.rate = rate;
    spec.boostBytes = boost;
  } else if (f.bt) f.bt.burst = burstOf(f.bt.rate, o, f.pace);
  f.holdMax = holdMaxOf(spec, o);
  if (f.minWrite > f.pace.minWrite) f.minWrite = f.pace.minWrite;
}
