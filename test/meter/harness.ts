import { Scheduler } from '../../lib/meter/scheduler';
import type { Flow, FlowSpec } from '../../lib/meter/flow';
import { memoryStore } from '../../lib/store/memory-store';
import type { CapStore } from '../../lib/types';

/** A scheduler on a fake clock and fake timers, with consumers that always take what is granted. */
export function harness(o: { tickMs?: number; flushMs?: number; store?: (clock: () => number) => CapStore } = {}) {
  let now = 0;
  const clock = () => now;
  let timer: (() => void) | null = null;
  /** When the armed timer is due (clock ms). */
  let timerAt = Infinity;
  const tickMs = o.tickMs ?? 20;
  const sched = new Scheduler({
    store: o.store ? o.store(clock) : memoryStore({ clock }),
    clock,
    timers: {
      set(fn, ms) {
        timer = fn;
        timerAt = now + ms;
        return fn;
      },
      clear() {
        timer = null;
        timerAt = Infinity;
      },
    },
    tickMs,
    flushMs: o.flushMs ?? 200,
    burstSeconds: 0.25,
  });
  const queue: Array<{ f: Flow; n: number }> = [];
  const stalled = new Set<Flow>();
  const drain = (): void => {
    while (queue.length) {
      const { f, n } = queue.shift()!;
      sched.sent(f, n);
      if (f.sent >= f.spec.length) sched.close(f);
      else if (!stalled.has(f)) sched.want(f);
    }
  };
  const open = (spec: Partial<FlowSpec> & { session: string }): Flow => {
    const f: Flow = sched.open({
      vhost: 'v',
      ip: '127.0.0.1',
      rate: null,
      boostBytes: 0,
      sessionCap: 0,
      trafficCap: 0,
      exempt: [],
      length: 1e12,
      ...spec,
      onGrant: (n) => queue.push({ f, n }),
    });
    sched.want(f);
    drain();
    return f;
  };
  return {
    sched,
    open,
    get now() {
      return now;
    },
    get timerPending() {
      return timer !== null;
    },
    /** Advance the clock by `ms`, firing the scheduler's timer each tick as it would fire. */
    run(ms: number): void {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + tickMs);
        const t = timer;
        timer = null;
        if (t) t();
        drain();
      }
    },
    /**
     * Advance the clock by `ms`, firing the scheduler's timer exactly when it asked to be fired
     * (run() fires it every tick whatever delay it asked for). Returns the number of wake-ups.
     */
    runTimers(ms: number): number {
      const end = now + ms;
      let wakes = 0;
      while (timer && timerAt <= end) {
        now = Math.max(now, timerAt);
        const t = timer;
        timer = null;
        timerAt = Infinity;
        t();
        wakes++;
        drain();
      }
      now = end;
      return wakes;
    },
    /** Like runTimers(), with timer k firing `late(k)` ms after it asked to (a busy event loop). */
    runLate(ms: number, late: (k: number) => number): void {
      const end = now + ms;
      for (let k = 0; timer && timerAt + late(k) <= end; k++) {
        now = Math.max(now, timerAt + late(k));
        const t = timer;
        timer = null;
        timerAt = Infinity;
        t();
        drain();
      }
      now = end;
    },
    /** Advance the clock by `ms` at once and fire the timer once: a late timer (event-loop lag). */
    jump(ms: number): void {
      now += ms;
      const t = timer;
      timer = null;
      if (t) t();
      drain();
    },
    /** Like run(), letting promise callbacks (async store leases) settle after every tick. */
    async runAsync(ms: number): Promise<void> {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + tickMs);
        const t = timer;
        timer = null;
        if (t) t();
        drain();
        await Promise.resolve();
        await Promise.resolve();
      }
    },
    stall(f: Flow): void {
      stalled.add(f);
    },
    resume(f: Flow): void {
      stalled.delete(f);
      if (!f.busy) sched.want(f);
      drain();
    },
  };
}
