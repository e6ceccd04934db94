import { burstOf, CHUNK_MAX, Flow, Session, setLimits, SHARED_PACE, Vhost } from './flow';
import type { FlowLimits, FlowSpec, SchedulerOptions } from './flow';
import { TimingWheel } from './timing-wheel';
import { TokenBucket } from './token-bucket';
import { topUp } from './top-up';
import { waterFill } from './water-fill';
import { pace, type PaceAnswer, type PaceConfig } from './write-pace';


/** Writes a fast flow may make back to back in one pass when its socket takes each at once. */
const REST_DEPTH = 16;

/**
 * The one scheduler that drives every metered body (docs/metering.md). Flows limited only by
 * BT sleep on a timing wheel (timing-wheel.ts) until their next write is due; flows under a
 * session cap or TrafficCap are allocated every tick, max-min fairly per vhost (water-fill.ts),
 * from a pool the store tops up (top-up.ts). When a flow writes, and how much, is the pacing's
 * answer (write-pace.ts). One unref'd timer runs only while some flow waits.
 */
export class Scheduler {
  readonly vhosts = new Map<string, Vhost>();
  private readonly waitingVhosts = new Set<Vhost>();
  private readonly wheel: TimingWheel<Flow>;
  private readonly paceConfig: PaceConfig;
  private readonly grain: number;
  /** When the armed timer fires (clock ms). */
  private timerAt = Infinity;
  private timer: unknown = null;
  /** The time of the tick running the wheel. */
  private tickNow = 0;
  /** Before the next tick is due, when the bytes that finish every waiting flow of some vhost accrue. */
  private finishAt = Infinity;
  /** The armed timer is such an early tick: the one after it keeps to the grid. */
  private early = false;
  private nextSessionId = 0;
  /** Writes made from inside a write (see rest). */
  private depth = 0;
  sessionCount = 0;
  flowCount = 0;

  constructor(private readonly o: SchedulerOptions) {
    this.wheel = new TimingWheel<Flow>(o.tickMs);
    this.paceConfig = { chunkMax: CHUNK_MAX, tickMs: o.tickMs };
    // Flows limited by BT alone wake on a grid of one flush period (250 ms by default): writes
    // due within it go out in one pass, so the process and the clients wake once for many
    // writes, not once per write. A flow writes at most once a flush period anyway; its
    // first write and its last bytes are not rounded (serveSolo).
    this.grain = Math.max(o.tickMs, Math.ceil(o.flushMs / o.tickMs) * o.tickMs);
  }

  get tickMs(): number {
    return this.o.tickMs;
  }

  get pendingTimers(): number {
    return this.timer === null ? 0 : 1;
  }

  vhost(name: string): Vhost {
    let v = this.vhosts.get(name);
    if (!v) this.vhosts.set(name, (v = new Vhost(name)));
    return v;
  }

  open(spec: FlowSpec): Flow {
    const now = this.o.clock();
    const v = this.vhost(spec.vhost);
    v.cap = spec.trafficCap;
    const first = v.sessions.size === 0;
    let s = v.sessions.get(spec.session);
    if (!s) {
      s = new Session(spec.sessionId ?? `s${++this.nextSessionId}`, spec.session, v, spec.ip);
      v.sessions.set(spec.session, s);
      this.sessionCount++;
    }
    // The cap's clock starts with the vhost's first response, not at the tick after it: a lease
    // of 0 bytes lets a store that clocks its bucket here (memory) make it, empty, now
    // (docs/metering.md). The Redis store ignores it: its first lease waits for the first tick,
    // when the sessions that arrived together are counted (leasing at once, for one session,
    // measured start-up stalls of 0.25–1.5 s in the fleet fault test under load).
    if (first && v.cap > 0) {
      const r = this.o.store.lease(v.name, v.cap, 0, v.sessions.size);
      if (typeof r !== 'number') r.then(undefined, () => {});
    }
    if (spec.sessionCap !== s.cap) {
      s.cap = spec.sessionCap;
      s.bucket = s.cap > 0 ? new TokenBucket(s.cap, burstOf(s.cap, this.o, SHARED_PACE), now) : null;
    }
    s.plan = spec.plan ?? null;
    const f = new Flow(spec, s, now, this.o);
    s.flows.add(f);
    this.flowCount++;
    return f;
  }

  /** The flow's consumer can take more bytes. */
  want(f: Flow): void {
    if (f.closed || f.busy) return;
    f.wanting = true;
    const now = this.o.clock();
    if (f.capped) {
      const p = this.paceOf(f, now);
      if (p.bytes > 0) return this.flush(f, now, p.bytes);
      return this.enqueue(f);
    }
    this.serveSolo(f, now);
  }

  private enqueue(f: Flow): void {
    f.session.waiting.add(f);
    f.session.vhost.waiting.add(f.session);
    this.waitingVhosts.add(f.session.vhost);
    this.arm();
  }

  /**
   * The flow wrote straight to its socket and will want bytes again: it waits for its next
   * write like any flow, but is not served now (no write from inside a write).
   */
  rest(f: Flow): void {
    if (f.closed || f.busy) return;
    if (this.depth < REST_DEPTH) {
      // The socket took the write at once: a fast flow with credit left writes again now.
      this.depth++;
      try {
        this.want(f);
      } finally {
        this.depth--;
      }
      return;
    }
    f.wanting = true;
    const now = this.o.clock();
    if (f.capped) return this.enqueue(f);
    this.sleepFor(f, now, this.o.tickMs);
  }

  /**
   * The flow's socket still holds its last write: skipped, its credit kept (up to its hold
   * bound), and looked at again after `ms`.
   */
  stalled(f: Flow, ms = this.o.flushMs): void {
    f.busy = false;
    if (f.closed) return;
    f.wanting = true;
    this.sleepFor(f, this.o.clock(), ms);
  }

  /** `n` bytes of the flow went out (n ≤ the grant). */
  sent(f: Flow, n: number): void {
    f.busy = false;
    f.sent += n;
    f.credit -= n;
    if (f.credit < 0) {
      // A source may return fewer bytes than asked: the rest of the grant stays as credit.
      f.credit = 0;
    }
    const now = this.o.clock();
    const s = f.session;
    s.bytesSent += n;
    s.window.add(now, n);
    s.vhost.bytesSent += n;
    s.vhost.window.add(now, n);
  }

  /** The grant callback finished without sending (e.g. the source ended). */
  idle(f: Flow): void {
    f.busy = false;
  }

  close(f: Flow): void {
    if (f.closed) return;
    f.closed = true;
    f.wanting = false;
    this.flowCount--;
    this.wheel.remove(f);
    const s = f.session;
    s.waiting.delete(f);
    s.flows.delete(f);
    if (s.waiting.size === 0) s.vhost.waiting.delete(s);
    if (s.flows.size === 0) {
      s.vhost.sessions.delete(s.key);
      this.sessionCount--;
      // The vhost's next session starts with no credit banked (docs/metering.md).
      if (s.vhost.sessions.size === 0) s.vhost.pool = 0;
    }
    if (s.vhost.waiting.size === 0) this.waitingVhosts.delete(s.vhost);
    if (this.waitingVhosts.size === 0 && this.wheel.size === 0) this.disarm();
  }

  /**
   * Live retuning: give a running flow new limits. It leaves the wheel or its vhost's queue,
   * takes the limits, and is served again, so the change shows from the next tick.
   */
  retune(f: Flow, limits: Partial<FlowLimits>): void {
    if (f.closed) return;
    const now = this.o.clock();
    // Its wheel entry goes stale (the wheel skips entries whose slot no longer matches).
    this.wheel.remove(f);
    const s = f.session;
    s.waiting.delete(f);
    if (s.waiting.size === 0) s.vhost.waiting.delete(s);
    if (s.vhost.waiting.size === 0) this.waitingVhosts.delete(s.vhost);
    setLimits(f, limits, now, this.o);
    if (f.wanting && !f.busy) {
      f.wanting = false;
      this.want(f);
    }
  }

  /**
   * Live retuning of a vhost (a reload): its TrafficCap and the Session cap of each of its
   * sessions, for every flow in flight. A local pool above the new cap's target is trimmed,
   * so the aggregate falls at once instead of spending the old cap's lease.
   */
  retuneVhost(name: string, caps: { trafficCap: number; sessionCap: number }): void {
    const v = this.vhosts.get(name);
    if (!v) return;
    const now = this.o.clock();
    v.cap = caps.trafficCap;
    const target = (v.cap * Math.max(2 * this.o.tickMs, 100)) / 1000;
    if (v.pool > target) v.pool = target;
    for (const s of v.sessions.values()) {
      if (s.cap !== caps.sessionCap) {
        s.cap = caps.sessionCap;
        if (s.cap <= 0) s.bucket = null;
        else if (s.bucket) {
          s.bucket.refill(now);
          s.bucket.rate = s.cap;
          s.bucket.burst = burstOf(s.cap, this.o, SHARED_PACE);
          s.bucket.tokens = Math.min(s.bucket.tokens, s.bucket.burst);
        } else s.bucket = new TokenBucket(s.cap, burstOf(s.cap, this.o, SHARED_PACE), now);
      }
      for (const f of [...s.flows]) this.retune(f, { sessionCap: caps.sessionCap, trafficCap: caps.trafficCap });
    }
  }

  /** One allocation round at the clock's time. Called by the timer; tests may call it directly. */
  tick = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    this.finishAt = Infinity;
    // At most one early tick between two on the grid: if the bytes were not there (a store
    // answering late, a refused Redis lease), the next look is a tick away, not another ms.
    const early = this.early;
    this.early = false;
    const now = this.o.clock();
    const flushes: Flow[] = [];
    for (const v of this.waitingVhosts) this.allocate(v, now, flushes, !early);
    for (const f of flushes) if (f.wanting && !f.closed) this.flush(f, now, this.paceOf(f, now).bytes);
    this.tickNow = now;
    this.wheel.due(now, this.wake);
    this.arm(now);
  };

  disarm(): void {
    if (this.timer !== null) this.o.timers.clear(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  /**
   * The timer runs every tick while some flow waits for an allocation; otherwise it is set for
   * the wheel's earliest slot, so sleeping flows cost no wake-ups in between.
   */
  private arm(now = this.o.clock()): void {
    const at = this.waitingVhosts.size > 0 ? Math.min(now + this.o.tickMs, Math.max(now, this.finishAt)) : Math.max(now + this.o.tickMs, this.wheel.nextAt());
    if (at === Infinity || at >= this.timerAt) return;
    if (this.timer !== null) this.o.timers.clear(this.timer);
    this.timerAt = at;
    this.early = at === this.finishAt;
    // +1: a timer may fire a fraction of a millisecond before the clock reaches its slot.
    this.timer = this.o.timers.set(this.tick, Math.ceil(at - now) + 1);
  }

  private serveSolo(f: Flow, now: number): void {
    const room = this.room(f);
    if (room > 0) this.grant(f, this.allowance(f, now, room));
    const p = this.paceOf(f, now);
    if (p.bytes > 0) return this.flush(f, now, p.bytes);
    // A wait of a tick (a first write, exempt bytes ahead) and the wait for the body's last
    // bytes are kept; a write period is rounded up to the grain, but not past the last bytes.
    const at = now + p.waitMs;
    this.wheel.add(f, now, p.waitMs <= this.o.tickMs || p.last ? at : Math.min(Math.ceil(at / this.grain) * this.grain, now + p.tailMs));
    this.arm(now);
  }

  private sleepFor(f: Flow, now: number, ms: number): void {
    this.wheel.add(f, now, now + ms);
    this.arm(now);
  }

  /** A sleeping flow's slot came. */
  private readonly wake = (f: Flow): void => {
    if (f.closed || !f.wanting) return;
    if (f.capped) this.want(f);
    else this.serveSolo(f, this.tickNow);
  };

  /** The pacing's answer for the flow now (write-pace.ts). */
  private paceOf(f: Flow, now: number): PaceAnswer {
    const bt = f.bt;
    return pace(
      {
        credit: f.credit,
        left: f.spec.length - f.sent,
        inFree: f.inFree,
        untilFree: bt ? f.cursor.untilFree(f.granted) : Infinity,
        age: now - f.lastFlush,
        flushBytes: f.pace.flushBytes,
        minWrite: f.minWrite,
        minAge: f.minAge,
        maxAge: f.maxAge,
      },
      this.paceConfig,
      bt ? (n) => bt.msUntil(n - f.credit) : () => 0,
    );
  }

  private room(f: Flow): number {
    return Math.min(f.holdMax - f.credit, f.spec.length - f.granted);
  }

  /** BT allowance from the flow's granted position: exempt bytes first, else the bucket. */
  private allowance(f: Flow, now: number, room: number): number {
    if (!f.bt) return room;
    const free = f.cursor.freeFrom(f.granted, room);
    if (free > 0) {
      f.inFree = true;
      return free;
    }
    if (f.inFree) {
      // BT starts after the header and boost: no credit banked while they went out.
      f.bt.reset(now);
      f.inFree = false;
    }
    return Math.min(room, Math.floor(f.bt.refill(now)));
  }

  private grant(f: Flow, g: number): void {
    if (g <= 0) return;
    if (f.bt) {
      if (f.inFree) f.cursor.consume(f.granted, g);
      else f.bt.take(g);
    }
    f.granted += g;
    f.credit += g;
  }

  private flush(f: Flow, now: number, n: number): void {
    if (n <= 0) return;
    f.wanting = false;
    f.busy = true;
    f.lastFlush = now;
    if (f.inFree) {
      f.minAge = this.o.flushMs;
      f.maxAge = f.pace.maxPeriods * this.o.flushMs;
    } else f.paced(this.o.flushMs);
    const s = f.session;
    s.waiting.delete(f);
    if (s.waiting.size === 0) s.vhost.waiting.delete(s);
    if (s.vhost.waiting.size === 0) this.waitingVhosts.delete(s.vhost);
    f.spec.onGrant(n);
  }

  private allocate(v: Vhost, now: number, flushes: Flow[], finish: boolean): void {
    const sessions = [...v.waiting];
    const demands = new Array<number>(sessions.length);
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i] as Session;
      let sum = 0;
      let left = 0;
      for (const f of s.waiting) {
        const room = this.room(f);
        f.demand = room > 0 ? this.allowance(f, now, room) : 0;
        sum += f.demand;
        left += f.spec.length - f.granted;
      }
      s.demand = s.bucket ? Math.min(sum, Math.floor(s.bucket.refill(now))) : sum;
      demands[i] = s.demand;
      s.left = left;
    }
    let grants = demands;
    if (v.cap > 0) {
      topUp(v, this.o.store, this.o.tickMs);
      grants = waterFill(v.pool, demands);
    }
    let total = 0;
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i] as Session;
      const flows = [...s.waiting];
      const sg = grants[i] ?? 0;
      const split = flows.length === 1 ? [sg] : waterFill(sg, flows.map((f) => f.demand));
      let given = 0;
      for (let k = 0; k < flows.length; k++) {
        const f = flows[k] as Flow;
        const g = Math.min(Math.floor(split[k] ?? 0), f.demand);
        this.grant(f, g);
        given += g;
        if (this.paceOf(f, now).bytes > 0) flushes.push(f);
      }
      s.bucket?.take(given);
      total += given;
      s.left -= given;
    }
    if (v.cap > 0) v.pool -= total;
    if (v.waiting.size === 0) this.waitingVhosts.delete(v);
    else if (finish) this.finishAt = Math.min(this.finishAt, now + finishWait(v, sessions, this.o.tickMs));
  }
}

/**
 * When the waiting flows of a vhost are all near their end, the ms until the caps have accrued
 * every byte they still need, so the tick that grants their last bytes runs then and not up to
 * a tick later (docs/metering.md: a 2 Mbit/s cap sends 500 KB in 2.0 s). Infinity otherwise:
 * the vhost is then allocated on the tick grid, as every vhost in mid-body is. Only the caps
 * are looked at; when something else holds the bytes back (BT), that tick finds little to
 * grant and the grid takes over again.
 */
function finishWait(v: Vhost, sessions: readonly Session[], tickMs: number): number {
  // Mid-body (the common case) the first session already needs more than a tick brings: stop.
  const most = v.cap > 0 ? v.pool + (v.cap * tickMs) / 1000 : Infinity;
  let all = 0;
  let wait = 0;
  for (const s of sessions) {
    all += s.left;
    if (all >= most) return Infinity;
    if (s.bucket && s.left > 0) {
      wait = Math.max(wait, s.bucket.msUntil(s.left));
      if (wait >= tickMs) return Infinity;
    }
  }
  if (v.cap > 0 && all > v.pool) wait = Math.max(wait, ((all - v.pool) * 1000) / v.cap);
  return all > 0 && wait > 0 && wait < tickMs ? wait : Infinity;
}
