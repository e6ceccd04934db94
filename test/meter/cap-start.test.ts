import { memoryStore } from '../../lib/store/memory-store';
import { harness } from './harness';

/** Bytes sent by `f` at each tick from when it opened, for `ms`. */
function trace(h: ReturnType<typeof harness>, f: { sent: number }, ms: number): number[] {
  const sent = [f.sent];
  for (let t = 0; t < ms; t += 20) {
    h.run(20);
    sent.push(f.sent);
  }
  return sent;
}

/** The most any window of `ms` (in 20 ms ticks) carried. */
function maxWindow(sent: number[], ms: number): number {
  const n = ms / 20;
  let max = 0;
  for (let i = 0; i + n < sent.length; i++) max = Math.max(max, (sent[i + n] as number) - (sent[i] as number));
  return max;
}

const CAP = 250_000; // 2 Mbit/s in bytes/s

describe.each([
  ['a TrafficCap', { trafficCap: CAP }],
  ['a session cap', { sessionCap: CAP }],
])('under %s, a download starts with no banked credit', (_name, limit) => {
  it.each([
    ['on a new bucket', 0],
    ['after the vhost was idle for 1 s', 1000],
    ['after the vhost was idle for 60 s', 60_000],
  ])('%s: no window of 0.5 s or more carries more than the cap + 2 %', (_when, idleMs) => {
    const h = harness();
    if (idleMs > 0) {
      const first = h.open({ session: 'a', length: 300_000, ...limit });
      h.run(3000);
      expect(first.sent).toBe(300_000);
      h.run(idleMs);
    }
    const f = h.open({ session: 'a', length: 500_000, ...limit });
    const sent = trace(h, f, 3000);
    expect(f.sent).toBe(500_000);
    // Writes are batched (8–20 KB here), so a window that starts just before one write and
    // ends just after another holds one write more than its time's worth.
    const write = Math.max(...sent.slice(1).map((n, i) => n - (sent[i] as number)));
    expect(write).toBeLessThanOrEqual(20_000);
    for (const ms of [500, 1000, 1500]) {
      // From the first byte: the cap's worth, +2 %, with nothing banked.
      expect(sent[ms / 20]).toBeLessThanOrEqual((CAP * ms * 1.02) / 1000);
      // And the cap is used, not merely respected (the last write may be still to come).
      expect(sent[ms / 20]).toBeGreaterThanOrEqual((CAP * ms * 0.98) / 1000 - write);
      // Any window: the cap's worth, +2 %, + one write.
      expect(maxWindow(sent, ms)).toBeLessThanOrEqual((CAP * ms * 1.02) / 1000 + write);
    }
    // 500 KB at 2 Mbit/s: 2.0 s, from the first byte.
    const doneAt = sent.findIndex((n) => n >= 500_000) * 20;
    expect(doneAt).toBeGreaterThanOrEqual(1960);
    expect(doneAt).toBeLessThanOrEqual(2060);
  });
});

describe.each([
  ['a TrafficCap', 'trafficCap'],
  ['a session cap', 'sessionCap'],
])('under %s, a body ends when its last byte has accrued, not on the next tick', (_name, key) => {
  // The timers fire when the scheduler asked (runTimers), so a wake-up set for the tick grid
  // shows as a body that ends up to a tick (20 ms) late, and a bucket that started at the
  // first tick rather than at the request, a tick late on top.
  it.each([
    [250_000, 500_000],
    [250_000, 123_457],
    [64_000, 50_001],
    [1_000_000, 777_777],
    [12_500_000, 9_999_999],
  ])('%d B/s, %d bytes: done at size ÷ cap (+2 ms), with no wake-ups beyond the ticks', (cap, size) => {
    const h = harness();
    const f = h.open({ session: 'a', length: size, [key]: cap });
    const exact = (size / cap) * 1000;
    let wakes = 0;
    while (f.sent < size && h.now < exact + 1000) wakes += h.runTimers(1);
    expect(f.sent).toBe(size);
    expect(h.now).toBeGreaterThanOrEqual(exact);
    expect(h.now).toBeLessThanOrEqual(exact + 2);
    // A tick every 20 ms (+1 ms: the timer's margin) while the flow waits, and one early one.
    expect(wakes).toBeLessThanOrEqual(Math.ceil(exact / 21) + 2);
  });
});

describe('the early tick for a body’s last bytes', () => {
  it('comes at most once between two ticks on the grid when the store has nothing to give', () => {
    let refuseFrom = Infinity;
    let refuseUntil = 0;
    const h = harness({
      store: (clock) => {
        const m = memoryStore({ clock });
        return { ...m, lease: (v, cap, want, n) => (clock() >= refuseFrom && clock() < refuseUntil ? 0 : m.lease(v, cap, want, n)) };
      },
    });
    // 250,000 B/s, 500,000 bytes: the last 250 bytes are due at 1,999 ms. The store gives
    // nothing from then until 2,100 ms (a Redis lease refused while its debt is paid back).
    [refuseFrom, refuseUntil] = [1999, 2100];
    const f = h.open({ session: 'a', length: 500_000, trafficCap: 250_000 });
    h.runTimers(1999);
    const before = f.sent;
    const wakes = h.runTimers(101);
    expect(before).toBeLessThan(500_000);
    // On the grid alone: one tick per 21 ms (20 + the timer's 1 ms), about 5. An early tick
    // re-armed after every refusal would come every few ms (17 here).
    expect(wakes).toBeLessThanOrEqual(2 * Math.ceil(101 / 21) + 1);
    h.runTimers(100);
    expect(f.sent).toBe(500_000);
  });
});
