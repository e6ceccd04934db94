import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import { OptionError } from '../errors';
import { memoryStore } from '../store/memory-store';
import type { ByteRange, CapStore, FileCacheStats, Plan, StatsSnapshot } from '../types';
import { BlockCache, DEFAULT_CACHE_BYTES } from './block-cache';
import { bufferSource, streamSource } from './body-source';
import type { BodySource } from './body-source';
import { cachedFileSource } from './cached-file-source';
import { MeteredBody } from './metered-body';
import { Scheduler } from './scheduler';
import type { FlowLimits, SessionKey, Timers } from './flow';

export interface EngineOptions {
  /** Where each vhost's TrafficCap budget comes from; default `memoryStore()`. */
  store?: CapStore;
  /** Monotonic milliseconds; default `performance.now`. Inject one in tests. */
  clock?: () => number;
  /** Allocation period in ms; default 20, range [1, 1000]. */
  tickMs?: number;
  /** A slow flow writes at least every `flushMs`; default 250, range [tickMs, 5000]. */
  flushMs?: number;
  /** Seconds of rate a stalled bucket may bank; default 0.25, range (0, 10]. */
  burstSeconds?: number;
  /** Timer functions; default unref'd `setTimeout`. Inject fakes in tests. */
  timers?: Timers;
  /**
   * Bytes of file blocks shared by every metered download (docs/metering.md, "The block
   * cache"); default 64 MiB, range [0, 2^40]; 0 turns it off (each download reads for itself).
   */
  blockCacheBytes?: number;
}

/** What the middleware resolved for one response. Rates in bytes/s; 0 = no cap. */
export interface MeterInput {
  vhost: string;
  session: SessionKey;
  /** The id stats and records show for the session; default `s<n>`. */
  sessionId?: string;
  /** BT rate, bytes/s; null (or ≤ 0) = no BT. */
  rate: number | null;
  boostBytes: number;
  sessionCap: number;
  trafficCap: number;
  /** Body-relative ranges sent BT-free; see `exemptForRange` for 206 responses. */
  exempt: readonly ByteRange[];
  ip: string;
  plan?: Plan;
}

export interface Engine {
  /** Replace `ctx.body` with its metered form; false when the response is not metered. */
  wrapBody(ctx: Context, input: MeterInput): boolean;
  stats(): StatsSnapshot;
  readonly activeSessions: number;
  /** Timers pending (0 or 1): for tests that check nothing is left behind. */
  readonly pendingTimers: number;
  /** Shared file descriptors currently open. */
  readonly openFiles: number;
  /** The block cache's counters: blocks served from it, blocks read into it, bytes held. */
  cacheStats(): FileCacheStats;
  /** Run one allocation round now (tests with an injected clock). */
  tick(): void;
  /**
   * Live retuning of one metered body: new BT rate (null = no BT) and boost budget, and/or
   * caps. Applied from the next tick; a finished body ignores it.
   */
  retune(body: MeteredBody, limits: Partial<FlowLimits>): void;
  /** Live retuning of a vhost (after a reload): its TrafficCap and Session cap for every body in flight. */
  retuneVhost(vhost: string, caps: { trafficCap: number; sessionCap: number }): void;
  close(): Promise<void>;
}

const KNOWN = new Set(['store', 'clock', 'tickMs', 'flushMs', 'burstSeconds', 'timers', 'blockCacheBytes']);
const EMPTY_STATUS = new Set([204, 205, 304]);

const realTimers: Timers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear(h) {
    clearTimeout(h as NodeJS.Timeout);
  },
};

/**
 * `performance.now()` read once per pass of the event loop: a tick that serves hundreds of
 * flows, and each write's bookkeeping, see one time (as nginx caches its time per loop
 * iteration). On this project's VM the clock read was a fifth of the main thread's busy time
 * at 1,000 slow downloads. The value is dropped when the current callback's microtasks run.
 */
function passClock(): () => number {
  let t = -1;
  const forget = (): void => {
    t = -1;
  };
  return () => {
    if (t < 0) {
      t = performance.now();
      queueMicrotask(forget);
    }
    return t;
  };
}

function range(name: string, v: number, lo: number, hi: number, openLo = false): number {
  if (typeof v !== 'number' || !(openLo ? v > lo : v >= lo) || !(v <= hi)) throw new OptionError(name, `a number in ${openLo ? '(' : '['}${lo}, ${hi}]`, v);
  return v;
}

/** Whether a body has anything to meter: a BT rate, a session cap or a TrafficCap. */
export function anyLimit(rate: number | null, sessionCap: number, trafficCap: number): boolean {
  return (rate != null && rate > 0) || sessionCap > 0 || trafficCap > 0;
}

/**
 * The metering engine (docs/metering.md): one scheduler for every metered body of the process.
 *
 * @example
 * ```ts
 * const engine = createEngine();
 * app.use(async (ctx, next) => {
 *   await next();
 *   engine.wrapBody(ctx, { vhost: 'www', session: sessionKey(ctx), rate: 125_000, boostBytes: 0,
 *     sessionCap: 0, trafficCap: 0, exempt: [], ip: ctx.ip });
 * });
 * ```
 */
export function createEngine(opts: EngineOptions = {}): Engine {
  for (const k of Object.keys(opts)) if (!KNOWN.has(k)) throw new OptionError(k, `one of ${[...KNOWN].join(', ')}`, k);
  const tickMs = range('tickMs', opts.tickMs ?? 20, 1, 1000);
  const flushMs = range('flushMs', opts.flushMs ?? 250, tickMs, 5000);
  const burstSeconds = range('burstSeconds', opts.burstSeconds ?? 0.25, 0, 10, true);
  const clock = opts.clock ?? passClock();
  const ownStore = opts.store === undefined;
  const store = opts.store ?? memoryStore({ clock });
  const scheduler = new Scheduler({ store, clock, timers: opts.timers ?? realTimers, tickMs, flushMs, burstSeconds });
  const cacheBytes = range('blockCacheBytes', opts.blockCacheBytes ?? DEFAULT_CACHE_BYTES, 0, 2 ** 40);
  const files = new BlockCache({ maxBytes: cacheBytes });
  const bodies = new Set<MeteredBody>();

  function sourceOf(body: unknown, length: number | undefined): { source: BodySource; length: number } | null {
    if (Buffer.isBuffer(body)) return { source: bufferSource(body), length: body.length };
    if (typeof body === 'string') {
      const buf = Buffer.from(body);
      return { source: bufferSource(buf), length: buf.length };
    }
    if (body instanceof fs.ReadStream && typeof body.path === 'string' && body.bytesRead === 0 && body.readableLength === 0 && body.readableFlowing !== true) {
      const rs = body as fs.ReadStream & { start?: number; end?: number };
      const start = rs.start ?? 0;
      let end = rs.end == null || !Number.isFinite(rs.end) ? Infinity : rs.end + 1;
      if (length !== undefined) end = Math.min(end, start + length);
      const source = cachedFileSource(files, body.path, start, end);
      rs.destroy();
      return { source, length: length ?? end - start };
    }
    if (body instanceof Readable) return { source: streamSource(body), length: length ?? Infinity };
    if (typeof body === 'object' && body !== null && !(body instanceof Uint8Array) && typeof (body as { pipe?: unknown }).pipe !== 'function') {
      // Koa would JSON-encode it in respond(); do it here so it can be metered.
      const buf = Buffer.from(JSON.stringify(body));
      return { source: bufferSource(buf), length: buf.length };
    }
    return null;
  }

  return {
    wrapBody(ctx, input) {
      // No limit at all is the common case: decided before any of ctx's getters.
      if (!anyLimit(input.rate, input.sessionCap, input.trafficCap)) return false;
      const rate = input.rate != null && input.rate > 0 ? input.rate : null;
      if (ctx.respond === false || ctx.method === 'HEAD' || EMPTY_STATUS.has(ctx.status) || ctx.body == null) return false;
      const length = ctx.response.length;
      // Nothing to meter in an empty body; a body already metered is not metered twice.
      if (length === 0 || ctx.body instanceof MeteredBody) return false;
      const src = sourceOf(ctx.body, length);
      if (!src) return false;
      const body = new MeteredBody(scheduler, src.source, {
        vhost: input.vhost,
        session: input.session,
        ...(input.sessionId !== undefined ? { sessionId: input.sessionId } : {}),
        ip: input.ip,
        rate,
        boostBytes: input.boostBytes,
        sessionCap: input.sessionCap > 0 ? input.sessionCap : 0,
        trafficCap: input.trafficCap > 0 ? input.trafficCap : 0,
        exempt: input.exempt,
        length: src.length,
        ...(input.plan ? { plan: input.plan } : {}),
      });
      bodies.add(body);
      body.once('close', () => bodies.delete(body));
      ctx.body = body;
      // Koa drops Content-Length when the body is replaced; a metered body keeps it (docs/metering.md).
      if (Number.isFinite(src.length)) ctx.length = src.length;
      return true;
    },
    stats() {
      const now = clock();
      const snap: StatsSnapshot = { time: Date.now(), vhosts: [], sessions: [] };
      for (const v of scheduler.vhosts.values()) {
        let throttled = 0;
        for (const s of v.sessions.values()) {
          const isThrottled = [...s.flows].some((f) => f.bt !== null);
          if (isThrottled) throttled++;
          snap.sessions.push({ id: s.id, vhost: v.name, ip: s.ip, rate: s.window.rate(now), bytesSent: s.bytesSent, responses: s.flows.size, throttled: isThrottled, plan: s.plan });
        }
        snap.vhosts.push({ name: v.name, cap: v.cap, rate: v.window.rate(now), bytesSent: v.bytesSent, activeSessions: v.sessions.size, throttledSessions: throttled });
      }
      return snap;
    },
    get activeSessions() {
      return scheduler.sessionCount;
    },
    get pendingTimers() {
      return scheduler.pendingTimers;
    },
    get openFiles() {
      return files.openFiles;
    },
    cacheStats() {
      return { hits: files.hits, misses: files.misses, loads: files.loads, cachedBytes: files.cachedBytes, bypassing: files.policy.bypassing };
    },
    tick() {
      scheduler.tick();
    },
    retune(body, limits) {
      scheduler.retune(body.flow, limits);
    },
    retuneVhost(vhost, caps) {
      scheduler.retuneVhost(vhost, caps);
    },
    async close() {
      for (const b of [...bodies]) b.destroy();
      scheduler.disarm();
      if (ownStore) await store.close();
    },
  };
}
