import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { debuglog } from 'node:util';
import { OptionError } from '../errors';
import type { CapStore } from '../types';
import { LEASE_SCRIPT } from './lease-script';
import { scriptRunner, type RedisClientLike, type ScriptRunner } from './redis-client';

const debug = debuglog('koa-bandwidth');

/** A pino-compatible logger: `warn(obj, msg)`, and `info(obj, msg)` if it has one. */
export interface RedisStoreLogger {
  warn(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
}

export interface RedisStoreOptions {
  /** A connected node-redis (v5+) or ioredis client or cluster. Best with the offline queue off. */
  client: RedisClientLike;
  /** Key prefix inside the hash tag: keys are `{<prefix><vhost>}:lease`. Default `kb:`. */
  prefix?: string;
  /** Deadline of each Redis call, ms (5–5000). Default 100. */
  timeoutMs?: number;
  /** Size of a lease, as ms of this process's share of the cap (10–1000). Default 50. */
  leaseMs?: number;
  /** A process that has not leased for this long drops out of the fleet, ms. Default 3000. */
  processTtlMs?: number;
  /** While degraded, try Redis again at most this often, ms (10–10000). Default 250. */
  probeMs?: number;
  /** Process count assumed for the fallback before Redis ever answered (≥ 1). Default 1. */
  fallbackProcesses?: number;
  /** Where the one warning per state change goes. Default `process.emitWarning`. */
  logger?: RedisStoreLogger;
  /** This process's id in the fleet. Default `<hostname>:<pid>:<random>`. */
  id?: string;
  /** Monotonic clock in ms, for the local fallback. Default `performance.now`. */
  clock?: () => number;
}

/** What the store emits as `state` when it enters or leaves its local fallback. */
export interface RedisStoreState {
  degraded: boolean;
  /** Why Redis was given up on (the error message), when degraded. */
  reason?: string;
}

interface VhostState {
  /** Bytes leased from Redis and not yet handed to the meter. */
  pool: number;
  /** This process's refill rate at the last answer, bytes/s (0 = unknown). */
  rate: number;
  /** Live processes on this vhost at the last answer (0 = unknown). */
  processes: number;
  /** Local time before which Redis is not asked again (this process is paying off a lease). */
  retryAt: number;
  /** Local time of the last `lease()` for this vhost. */
  askedAt: number;
  inflight: Promise<void> | null;
  /** After the fleet shrank in Redis: the rate and process count from before, until `until`. */
  settle: { processes: number; rate: number; until: number } | null;
  /** The local fallback bucket. */
  fbTokens: number;
  fbLast: number;
}

const KNOWN = new Set(['client', 'prefix', 'timeoutMs', 'leaseMs', 'processTtlMs', 'probeMs', 'fallbackProcesses', 'logger', 'id', 'clock']);

/**
 * A {@link CapStore} that shares each vhost's TrafficCap across processes and hosts through
 * Redis (docs/spec.md §6). Emits `state` ({@link RedisStoreState}) when it degrades or recovers.
 */
export class RedisStore extends EventEmitter implements CapStore {
  readonly kind = 'redis';
  readonly id: string;
  readonly #runner: ScriptRunner;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #leaseMs: number;
  readonly #ttlMs: number;
  readonly #probeMs: number;
  readonly #fallbackProcesses: number;
  readonly #logger: RedisStoreLogger | undefined;
  readonly #clock: () => number;
  readonly #vhosts = new Map<string, VhostState>();
  #degraded = false;
  #closed = false;
  #nextProbe = 0;
  #lastProcesses = 0;
  /** The last remote lease, so an idle degraded store can still find out that Redis is back. */
  #last: { vhost: string; cap: number; weight: number } | undefined;
  #probeTimer: NodeJS.Timeout | undefined;

  constructor(opts: RedisStoreOptions) {
    super();
    if (typeof opts !== 'object' || opts === null) throw new OptionError('redisStore options', 'an object with a `client`', opts);
    for (const k of Object.keys(opts)) if (!KNOWN.has(k)) throw new OptionError(k, `one of ${[...KNOWN].join(', ')}`, k);
    this.#runner = scriptRunner(opts.client, LEASE_SCRIPT);
    this.#prefix = str('prefix', opts.prefix, 'kb:');
    this.id = str('id', opts.id, `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`);
    this.#timeoutMs = num('timeoutMs', opts.timeoutMs, 100, 5, 5000);
    this.#leaseMs = num('leaseMs', opts.leaseMs, 50, 10, 1000);
    this.#ttlMs = num('processTtlMs', opts.processTtlMs, 3000, 4 * this.#leaseMs, 3_600_000);
    this.#probeMs = num('probeMs', opts.probeMs, 250, 10, 10_000);
    this.#fallbackProcesses = num('fallbackProcesses', opts.fallbackProcesses, 1, 1, 1_000_000);
    if (opts.logger !== undefined && typeof opts.logger?.warn !== 'function') throw new OptionError('logger', 'an object with warn(obj, msg)', opts.logger);
    this.#logger = opts.logger;
    if (opts.clock !== undefined && typeof opts.clock !== 'function') throw new OptionError('clock', 'a function returning ms', opts.clock);
    this.#clock = opts.clock ?? (() => performance.now());
  }

  /** True while Redis is unreachable and leases come from the local fallback. */
  get degraded(): boolean {
    return this.#degraded;
  }

  lease(vhost: string, capBytesPerSecond: number, want: number, activeSessions: number): number | Promise<number> {
    if (!(want > 0)) return 0;
    if (!(capBytesPerSecond > 0)) return want;
    const st = this.#state(vhost);
    // Bytes leased before an idle spell (two leases without an ask) are not banked for after
    // it, as the script banks nothing for an idle process (docs/redis.md, "Burst").
    const now = this.#clock();
    if (now - st.askedAt > 2 * this.#leaseMs) st.pool = 0;
    st.askedAt = now;
    if (st.pool >= want) {
      st.pool -= want;
      return want;
    }
    if (this.#closed) return this.#fallback(st, capBytesPerSecond, want);
    const weight = Number.isFinite(activeSessions) && activeSessions >= 1 ? Math.floor(activeSessions) : 1;
    this.#last = { vhost, cap: capBytesPerSecond, weight };
    return this.#leaseRemote(vhost, st, capBytesPerSecond, want, weight).catch((err: unknown) => {
      debug('redis store: unexpected %o', err);
      return this.#fallback(st, capBytesPerSecond, want);
    });
  }

  /** Leave the fleet (best effort, within the timeout). Does not close the user's client. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#probeTimer);
    const args = [this.id, '1', '-1', '1', String(this.#leaseMs), String(this.#ttlMs)];
    await Promise.allSettled([...this.#vhosts.keys()].map((v) => this.#call(this.#key(v), args)));
  }

  async #leaseRemote(vhost: string, st: VhostState, cap: number, want: number, weight: number): Promise<number> {
    // Single flight: concurrent leases share one Redis call. A probe while degraded is not waited for.
    while (st.inflight && !this.#degraded) await st.inflight;
    if (st.pool < want && !this.#degraded && this.#clock() >= st.retryAt) await this.#refill(vhost, st, cap, want, weight);
    const fromPool = Math.min(st.pool, want);
    st.pool -= fromPool;
    if (!this.#degraded) return fromPool;
    this.#probe(vhost, st, cap, want, weight);
    return fromPool + this.#fallback(st, cap, want - fromPool);
  }

  /** One script call: lease about `leaseMs` of this process's rate, or what the meter wants. */
  #refill(vhost: string, st: VhostState, cap: number, want: number, weight: number): Promise<void> {
    // One lease is `leaseMs` of this process's current rate, whatever the meter asked for: grants
    // then arrive about every `leaseMs`, smooth for the sessions and a bounded call rate for Redis.
    // Before the first answer the rate is unknown: ask for what is wanted, up to a lease of
    // cap ÷ the processes last seen. want 0 is a probe that only registers and reads the fleet.
    const n = st.processes || this.#lastProcesses || 1;
    const lease = st.rate > 0 ? (st.rate * this.#leaseMs) / 1000 : Math.min(want - st.pool, (cap * this.#leaseMs) / 1000 / n);
    const ask = want <= 0 ? 0 : Math.ceil(Math.max(1, lease));
    const args = [this.id, String(cap), String(ask), String(weight), String(this.#leaseMs), String(this.#ttlMs)];
    const done: Promise<void> = this.#call(this.#key(vhost), args)
      .then(parseReply)
      .then(
        ([granted, rate, processes, waitMs]) => {
          st.pool += granted;
          // Fewer processes than a moment ago: after a Redis restart (or expiry) they register
          // again one by one, and the first back would be told it has the whole cap. Until they
          // are back (or processTtlMs says they are gone) size leases by the rate from before:
          // a lease sized to the whole cap would be debt the process then starves to repay.
          // This only sizes leases; how much each process gets is still Redis's to say.
          const now = this.#clock();
          if (processes < st.processes && st.rate > 0 && !st.settle) st.settle = { processes: st.processes, rate: st.rate, until: now + this.#ttlMs };
          if (st.settle && (processes >= st.settle.processes || now >= st.settle.until)) st.settle = null;
          st.rate = st.settle ? Math.min(rate, st.settle.rate) : rate;
          st.processes = processes;
          this.#lastProcesses = processes;
          st.retryAt = now + Math.min(waitMs, this.#ttlMs / 2);
          this.#setDegraded(false);
        },
        (err: unknown) => this.#setDegraded(true, err),
      )
      .finally(() => {
        if (st.inflight === done) st.inflight = null;
      });
    st.inflight = done;
    return done;
  }

  /** While degraded, one lease call now and then finds out whether Redis is back. */
  #probe(vhost: string, st: VhostState, cap: number, want: number, weight: number): void {
    const now = this.#clock();
    if (now < this.#nextProbe || st.inflight || this.#closed) return;
    this.#nextProbe = now + this.#probeMs;
    void this.#refill(vhost, st, cap, want, weight);
  }

  /** cap ÷ last known process count, clocked locally (docs/spec.md §6). */
  #fallback(st: VhostState, cap: number, want: number): number {
    if (want <= 0) return 0;
    const n = st.processes || this.#lastProcesses || this.#fallbackProcesses;
    const rate = cap / n;
    const now = this.#clock();
    const burst = Math.max(1, (rate * 4 * this.#leaseMs) / 1000);
    st.fbTokens = Math.min(burst, st.fbTokens + (Math.max(0, now - st.fbLast) * rate) / 1000);
    st.fbLast = now;
    // No dribbles: wait for 10 ms worth (or all that is wanted) rather than hand out a few bytes.
    const g = st.fbTokens >= Math.min(want, rate / 100) ? Math.min(want, Math.floor(st.fbTokens)) : 0;
    st.fbTokens -= g;
    return g;
  }

  #setDegraded(on: boolean, err?: unknown): void {
    if (on === this.#degraded) return;
    this.#degraded = on;
    const now = this.#clock();
    clearInterval(this.#probeTimer);
    if (on) {
      this.#nextProbe = now + this.#probeMs;
      // Lease calls probe while traffic flows; this timer covers an idle process (unref'd).
      this.#probeTimer = setInterval(() => {
        const last = this.#last;
        if (last) this.#probe(last.vhost, this.#state(last.vhost), last.cap, 0, last.weight);
      }, this.#probeMs);
      this.#probeTimer.unref();
      for (const st of this.#vhosts.values()) {
        st.fbTokens = 0;
        st.fbLast = now;
      }
    }
    const state: RedisStoreState = on ? { degraded: true, reason: err instanceof Error ? err.message : String(err) } : { degraded: false };
    const msg = on
      ? `koa-bandwidth: Redis unreachable (${state.reason}); each process now caps at cap ÷ ${this.#lastProcesses || this.#fallbackProcesses} on its own`
      : 'koa-bandwidth: Redis reachable again; the cluster-wide cap is shared again';
    const log = { store: 'redis', id: this.id, ...state };
    if (this.#logger) (on ? this.#logger.warn : (this.#logger.info ?? this.#logger.warn)).call(this.#logger, log, msg);
    else process.emitWarning(msg, { code: on ? 'KOA_BANDWIDTH_REDIS_DEGRADED' : 'KOA_BANDWIDTH_REDIS_RECOVERED' });
    this.emit('state', state);
  }

  /** Every call gets its own deadline: a client's own timeout may be off or long. */
  #call(key: string, args: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // Timers run before I/O in each turn of the event loop: after a blocked loop (a busy or
      // starved process) a reply may already be waiting when the timer fires. setImmediate runs
      // after this turn's I/O, so such a reply wins and the call does not count as timed out.
      const late = () => reject(new Error(`Redis call timed out after ${this.#timeoutMs} ms`));
      const timer = setTimeout(() => setImmediate(late), this.#timeoutMs);
      timer.unref();
      this.#runner.run([key], args).then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  #key(vhost: string): string {
    return `{${this.#prefix}${vhost}}:lease`;
  }

  #state(vhost: string): VhostState {
    let st = this.#vhosts.get(vhost);
    if (!st) {
      st = { pool: 0, rate: 0, processes: 0, retryAt: 0, askedAt: this.#clock(), inflight: null, settle: null, fbTokens: 0, fbLast: this.#clock() };
      this.#vhosts.set(vhost, st);
    }
    return st;
  }
}

/**
 * A TrafficCap store on Redis, for a fleet of processes or hosts behind a load balancer.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { bandwidth, redisStore } from 'koa-bandwidth';
 * const client = await createClient({ url: 'redis://10.0.0.5:6379', disableOfflineQueue: true })
 *   .on('error', () => {}) // the store reports outages itself
 *   .connect();
 * app.use(bandwidth({ conf: './conf', store: redisStore({ client }) }));
 * ```
 */
export function redisStore(opts: RedisStoreOptions): RedisStore {
  return new RedisStore(opts);
}

function parseReply(reply: unknown): [number, number, number, number] {
  if (!Array.isArray(reply) || reply.length < 4) throw new Error(`unexpected lease script reply: ${String(reply)}`);
  const [g, r, n, w] = reply.map((x) => Number(x)) as [number, number, number, number];
  if (![g, r, n, w].every(Number.isFinite)) throw new Error(`unexpected lease script reply: ${reply.join(',')}`);
  return [g, r, n, w];
}

function num(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new OptionError(name, `a number from ${min} to ${max}`, v);
  return v;
}

function str(name: string, v: string | undefined, dflt: string): string {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || v === '') throw new OptionError(name, 'a non-empty string', v);
  return v;
}
