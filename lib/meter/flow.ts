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
  /** A flow writes as soon as it holds this much credit. */
  flushBytes: number;
  /** Seconds of rate a stalled bucket may bank. */
  burstSeconds: number;
}

/** The largest write. */
export const CHUNK_MAX = 64 * 1024;
/** A slow flow waits for this much credit before writing (up to FLUSH_MAX_PERIODS × flushMs). */
export const MIN_WRITE = 8192;

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
 * The longest a flow holding credit waits to write, in flush periods (1 s by default). At
 * 10,000 sessions of 64 kbps the server's time goes to the socket write and the file read each
 * write needs, whatever their size: one 8 KB write a second, not two of 4 KB, halves it.
 */
export const FLUSH_MAX_PERIODS = 4;

/**
 * A bucket banks `burstSeconds` of its rate, and at least eight flush periods (2 s by
 * default): a slow flow sleeps up to FLUSH_MAX_PERIODS flush periods between writes, and what accrues
 * meanwhile, plus event-loop lag on a loaded server, must not be clipped. Never a fixed byte
 * floor, which would be many seconds of a slow rate.
 */
export function burstOf(rate: number, o: SchedulerOptions): number {
  return rate * Math.max(o.burstSeconds, (8 * o.flushMs) / 1000);
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
  /** The last allowance was exempt bytes (BT flows only). */
  inFree: boolean;
  demand = 0;
  wakeSlot = -1;
  lastFlush: number;
  /** Credit a slow flow waits for before it writes: MIN_WRITE, or `phase` of it once. */
  minWrite = MIN_WRITE;
  /** See nextPhase; applied once, at the flow's first throttled write. */
  readonly phase = nextPhase();
  phased = false;
  readonly capped: boolean;
  readonly holdMax: number;
  readonly bt: TokenBucket | null;
  readonly cursor: ExemptCursor;
  constructor(
    readonly spec: FlowSpec,
    readonly session: Session,
    now: number,
    o: SchedulerOptions,
  ) {
    this.capped = spec.sessionCap > 0 || spec.trafficCap > 0;
    this.inFree = spec.rate != null;
    const limit = Math.min(spec.rate ?? Infinity, spec.sessionCap || Infinity, spec.trafficCap || Infinity);
    // Enough credit for a few ticks at the tightest limit, so a fast flow is never starved by
    // the hold bound; at least one chunk so unlimited bytes go out in full chunks.
    this.holdMax = Number.isFinite(limit) ? Math.max(CHUNK_MAX, Math.ceil((limit * o.tickMs * 4) / 1000)) : CHUNK_MAX;
    this.bt = spec.rate == null ? null : new TokenBucket(spec.rate, burstOf(spec.rate, o), now);
    this.cursor = new ExemptCursor(spec.exempt, spec.rate == null ? 0 : spec.boostBytes);
    // The first write goes out after about one tick rather than a whole write period, so a
    // player sees its first bytes at once even without a header or boost.
    this.lastFlush = now - FLUSH_MAX_PERIODS * o.flushMs + o.tickMs;
  }
}
