import { SOLO_PACE } from '../../lib/meter/flow';
import { harness } from './harness';

/** Bytes a flow (or flows) sent over `ms` of fake time, per second. */
function rateOver(h: ReturnType<typeof harness>, flows: { sent: number }[], ms: number): number {
  const before = flows.reduce((n, f) => n + f.sent, 0);
  h.run(ms);
  return ((flows.reduce((n, f) => n + f.sent, 0) - before) * 1000) / ms;
}

describe('live retuning of a running flow (injected clock)', () => {
  describe('when its BT rate is halved', () => {
    it('sends at the new rate from the next second on', () => {
      const h = harness();
      const f = h.open({ session: 'a', rate: 100_000 });
      h.run(3000);
      h.sched.retune(f, { rate: 50_000 });
      // Credit granted before the change (a few ticks' worth) still goes out in the first second.
      const first = rateOver(h, [f], 1000);
      expect(first).toBeLessThanOrEqual(50_000 + 0.1 * 100_000);
      // Within one write (SOLO_PACE.flushBytes) at either end of the window.
      const steady = rateOver(h, [f], 20_000);
      expect(steady).toBeGreaterThanOrEqual(50_000 - SOLO_PACE.flushBytes / 20);
      expect(steady).toBeLessThanOrEqual(50_000 + SOLO_PACE.flushBytes / 20);
    });
  });

  describe('when BT is turned off', () => {
    it('sends the rest as fast as the consumer takes', () => {
      const h = harness();
      const f = h.open({ session: 'a', rate: 10_000, length: 5_000_000 });
      h.run(1000);
      expect(f.closed).toBe(false);
      h.sched.retune(f, { rate: null });
      h.run(100);
      expect(f.bt).toBeNull();
      expect(f.sent).toBe(5_000_000);
    });
  });

  describe('when BT is turned on mid-flight', () => {
    it('paces from then on, with no boost once the body is past it', () => {
      const h = harness();
      // A TrafficCap keeps an un-BT'd flow running under the fake clock.
      const f = h.open({ session: 'a', rate: null, trafficCap: 1_000_000, length: 1e9 });
      h.run(1000);
      expect(f.sent).toBeGreaterThan(900_000);
      h.sched.retune(f, { rate: 20_000, boostBytes: 1000 });
      rateOver(h, [f], 1000);
      const steady = rateOver(h, [f], 20_000);
      expect(steady).toBeGreaterThanOrEqual(20_000 * 0.97);
      expect(steady).toBeLessThanOrEqual(20_000 * 1.01);
    });
  });

  describe('when its boost is raised before it is spent', () => {
    it('sends the larger boost unthrottled', () => {
      const h = harness();
      const f = h.open({ session: 'a', rate: 10_000, boostBytes: 0, length: 1e9 });
      h.run(1000);
      const at = f.sent;
      h.sched.retune(f, { boostBytes: at + 200_000 });
      h.run(100);
      expect(f.sent - at).toBeGreaterThanOrEqual(200_000);
      expect(f.sent - at).toBeLessThanOrEqual(200_000 + 10_000);
    });
  });

  describe("when a vhost's TrafficCap is lowered (a reload)", () => {
    it('brings the aggregate of 20 sessions to the new cap within a second', () => {
      const h = harness();
      const flows = Array.from({ length: 20 }, (_, i) => h.open({ session: `s${i}`, trafficCap: 400_000 }));
      h.run(3000);
      expect(rateOver(h, flows, 5000)).toBeGreaterThan(400_000 * 0.97);
      h.sched.retuneVhost('v', { trafficCap: 200_000, sessionCap: 0 });
      const first = rateOver(h, flows, 1000);
      expect(first).toBeLessThanOrEqual(200_000 * 1.5);
      const steady = rateOver(h, flows, 30_000);
      expect(steady).toBeGreaterThanOrEqual(200_000 * 0.97);
      expect(steady).toBeLessThanOrEqual(200_000 * 1.01);
    });

    it('caps flows that had no cap before (they move from the wheel to the shared queue)', () => {
      const h = harness();
      const flows = Array.from({ length: 4 }, (_, i) => h.open({ session: `s${i}`, rate: 100_000 }));
      h.run(2000);
      expect(flows[0]?.capped).toBe(false);
      h.sched.retuneVhost('v', { trafficCap: 100_000, sessionCap: 0 });
      expect(flows[0]?.capped).toBe(true);
      rateOver(h, flows, 1000);
      const steady = rateOver(h, flows, 20_000);
      expect(steady).toBeGreaterThanOrEqual(100_000 * 0.97);
      expect(steady).toBeLessThanOrEqual(100_000 * 1.01);
    });

    it('lifts the cap when the reload removes it', () => {
      const h = harness();
      const f = h.open({ session: 'a', trafficCap: 50_000, length: 5_000_000 });
      h.run(2000);
      h.sched.retuneVhost('v', { trafficCap: 0, sessionCap: 0 });
      expect(f.capped).toBe(false);
      h.run(100);
      expect(f.sent).toBe(5_000_000);
    });

    it('leaves other vhosts and unknown names alone', () => {
      const h = harness();
      const f = h.open({ session: 'a', vhost: 'w', trafficCap: 50_000 });
      h.sched.retuneVhost('v', { trafficCap: 1, sessionCap: 1 });
      h.sched.retuneVhost('nowhere', { trafficCap: 1, sessionCap: 1 });
      h.run(1000);
      const steady = rateOver(h, [f], 20_000);
      expect(steady).toBeGreaterThanOrEqual(50_000 * 0.97);
      expect(steady).toBeLessThanOrEqual(50_000 * 1.01);
    });
  });

  describe("when a vhost's Session cap is lowered", () => {
    it('holds each session of several responses to the new cap', () => {
      const h = harness();
      const flows = Array.from({ length: 4 }, () => h.open({ session: 'one', sessionCap: 80_000 }));
      h.run(2000);
      h.sched.retuneVhost('v', { trafficCap: 0, sessionCap: 40_000 });
      rateOver(h, flows, 1000);
      const steady = rateOver(h, flows, 20_000);
      expect(steady).toBeGreaterThanOrEqual(40_000 * 0.97);
      expect(steady).toBeLessThanOrEqual(40_000 * 1.01);
    });
  });

  it('ignores a closed flow and leaves no timer behind', () => {
    const h = harness();
    const f = h.open({ session: 'a', rate: 10_000, length: 20_000 });
    h.run(5000);
    expect(f.closed).toBe(true);
    h.sched.retune(f, { rate: 1 });
    expect(h.timerPending).toBe(false);
    expect(h.sched.sessionCount).toBe(0);
  });
});
