import { burstOf, CHUNK_MAX, Flow, Session, SHARED_PACE, Vhost } from './flow';
import type { FlowSpec, SchedulerOptions } from './flow';
import { TokenBucket } from './token-bucket';
import { waterFill } from './water-fill';


/** Writes a fast flow may make back to back in one pass when its socket takes each at once. */
const REST_DEPTH = 16;

/**
 * The one scheduler that drives every metered body (SPEC §5). Flows limited only by BT sleep
 * on a timing wheel until their next write is due; flows under a session cap or TrafficCap
 * are allocated every tick, max-min fairly per vhost (water-filling). One unref'd timer runs
 * only while some flow waits.
 */
export class Scheduler {
  readonly vhosts = new Map<string, Vhost>();
  private readonly waitingVhosts = new Set<Vhost>();
  private readonly wheel = new Map<number, Flow[]>();
  private wheelSlot = -1;
  private sleepers = 0;
  private timer: unknown = null;
  private nextSessionId = 0;
  /** Writes made from inside a write (see rest). */
  private depth = 0;
  sessionCount = 0;
  flowCount = 0;

  constructor(private readonly o: SchedulerOptions) {}

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
    let s = v.sessions.get(spec.session);
    if (!s) {
      s = new Session(spec.sessionId ?? `s${++this.nextSessionId}`, spec.session, v, spec.ip);
      v.sessions.set(spec.session, s);
      this.sessionCount++;
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
      if (this.flushDue(f, now)) return this.flush(f, now);
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
    this.sleepUntil(f, now, now + this.o.tickMs);
  }

  /**
   * The flow's socket still holds its last write: skipped, its credit kept (up to its hold
   * bound), and looked at again after `ms`.
   */
  stalled(f: Flow, ms = this.o.flushMs): void {
    f.busy = false;
    if (f.closed) return;
    f.wanting = true;
    const now = this.o.clock();
    this.sleepUntil(f, now, now + ms);
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
    if (f.wakeSlot >= 0) {
      f.wakeSlot = -1;
      this.sleepers--;
    }
    const s = f.session;
    s.waiting.delete(f);
    s.flows.delete(f);
    if (s.waiting.size === 0) s.vhost.waiting.delete(s);
    if (s.flows.size === 0) {
      s.vhost.sessions.delete(s.key);
      this.sessionCount--;
    }
    if (s.vhost.waiting.size === 0) this.waitingVhosts.delete(s.vhost);
    if (this.sleepers === 0) this.wheel.clear();
    if (this.waitingVhosts.size === 0 && this.sleepers === 0) this.disarm();
  }

  /** One allocation round at the clock's time. Called by the timer; tests may call it directly. */
  tick = (): void => {
    this.timer = null;
    const now = this.o.clock();
    const flushes: Flow[] = [];
    for (const v of this.waitingVhosts) this.allocate(v, now, flushes);
    for (const f of flushes) if (f.wanting && !f.closed) this.flush(f, now);
    this.wake(now);
    this.arm();
  };

  disarm(): void {
    if (this.timer !== null) this.o.timers.clear(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.timer === null && (this.waitingVhosts.size > 0 || this.sleepers > 0)) this.timer = this.o.timers.set(this.tick, this.o.tickMs);
  }

  private serveSolo(f: Flow, now: number): void {
    const room = this.room(f);
    if (room > 0) this.grant(f, this.allowance(f, now, room));
    if (this.flushDue(f, now)) return this.flush(f, now);
    this.sleep(f, now);
  }

  private sleep(f: Flow, now: number): void {
    const { flushBytes, flushMs, tickMs } = this.o;
    const age = now - f.lastFlush;
    const until = (bytes: number): number => (f.bt ? f.bt.msUntil(bytes - f.credit) : 0);
    // Wake for a full write, a slow write, the longest wait, or the start of the next exempt
    // range (its bytes go out at once, see flushDue).
    const toFree = f.bt ? f.cursor.untilFree(f.granted) : Infinity;
    const due = Math.min(until(flushBytes), Math.max(flushMs - age, until(f.minWrite)), f.pace.maxPeriods * flushMs - age, until(f.credit + toFree));
    this.sleepUntil(f, now, now + Math.max(tickMs, due));
  }

  private sleepUntil(f: Flow, now: number, at: number): void {
    const { tickMs } = this.o;
    const slot = Math.ceil(at / tickMs);
    if (f.wakeSlot < 0) this.sleepers++;
    f.wakeSlot = slot;
    if (this.wheelSlot < 0) this.wheelSlot = Math.floor(now / tickMs);
    const list = this.wheel.get(slot);
    if (list) list.push(f);
    else this.wheel.set(slot, [f]);
    this.arm();
  }

  private wake(now: number): void {
    if (this.sleepers === 0) {
      this.wheelSlot = -1;
      return;
    }
    const last = Math.floor(now / this.o.tickMs);
    for (; this.wheelSlot <= last; this.wheelSlot++) {
      const list = this.wheel.get(this.wheelSlot);
      if (!list) continue;
      this.wheel.delete(this.wheelSlot);
      for (const f of list) {
        if (f.wakeSlot !== this.wheelSlot || f.closed) continue;
        f.wakeSlot = -1;
        this.sleepers--;
        if (!f.wanting) continue;
        if (f.capped) {
          f.wanting = false;
          this.want(f);
        } else this.serveSolo(f, now);
      }
    }
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

  private flushDue(f: Flow, now: number): boolean {
    const c = Math.floor(f.credit);
    if (c < 1) return false;
    // Exempt bytes (header, boost) go out at once: waiting would only delay the player.
    if (f.inFree || c >= this.o.flushBytes || c >= f.spec.length - f.sent) return true;
    // Credit up to the start of an exempt range (a moov at the end): nothing more accrues
    // before the free bytes, so waiting for a full write would only delay them.
    if (f.bt && f.cursor.freeFrom(f.granted, 1) > 0) return true;
    // Each write costs a syscall whatever its size, which dominates at 10,000 slow sessions:
    // write every flushMs, but a slow flow waits for its pace's minWrite bytes, up to maxPeriods
    // flush periods.
    const age = now - f.lastFlush;
    return (age >= this.o.flushMs && c >= f.minWrite) || age >= f.pace.maxPeriods * this.o.flushMs;
  }

  private flush(f: Flow, now: number): void {
    const n = Math.min(Math.floor(f.credit), CHUNK_MAX, f.spec.length - f.sent);
    if (n <= 0) return;
    f.wanting = false;
    f.busy = true;
    f.lastFlush = now;
    if (!f.inFree) {
      // After the flow's first throttled write, its next comes after `phase` of a full write
      // period, by credit and by age alike; then full periods (see nextPhase).
      f.minWrite = f.phased ? f.pace.minWrite : Math.max(1, Math.floor(f.pace.minWrite * f.phase));
      if (!f.phased) f.lastFlush = now - (1 - f.phase) * f.pace.maxPeriods * this.o.flushMs;
      f.phased = true;
    }
    const s = f.session;
    s.waiting.delete(f);
    if (s.waiting.size === 0) s.vhost.waiting.delete(s);
    if (s.vhost.waiting.size === 0) this.waitingVhosts.delete(s.vhost);
    f.spec.onGrant(n);
  }

  private allocate(v: Vhost, now: number, flushes: Flow[]): void {
    const sessions = [...v.waiting];
    const demands = new Array<number>(sessions.length);
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i] as Session;
      let sum = 0;
      for (const f of s.waiting) {
        const room = this.room(f);
        f.demand = room > 0 ? this.allowance(f, now, room) : 0;
        sum += f.demand;
      }
      s.demand = s.bucket ? Math.min(sum, Math.floor(s.bucket.refill(now))) : sum;
      demands[i] = s.demand;
    }
    let grants = demands;
    if (v.cap > 0) {
      this.topUp(v);
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
        if (this.flushDue(f, now)) flushes.push(f);
      }
      s.bucket?.take(given);
      total += given;
    }
    if (v.cap > 0) v.pool -= total;
    if (v.waiting.size === 0) this.waitingVhosts.delete(v);
  }

  /** Keep the vhost's local pool ahead of need; a remote store answers asynchronously. */
  private topUp(v: Vhost): void {
    const target = (v.cap * Math.max(2 * this.o.tickMs, 100)) / 1000;
    if (v.leasing || v.pool >= target) return;
    const want = Math.ceil(target - v.pool);
    const r = this.o.store.lease(v.name, v.cap, want, v.sessions.size);
    if (typeof r === 'number') {
      v.pool += r;
      return;
    }
    v.leasing = true;
    r.then(
      (g) => {
        v.pool += g;
        v.leasing = false;
      },
      () => {
        v.leasing = false;
      },
    );
  }
}
