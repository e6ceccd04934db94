import { callPlan, type Plan } from '../../lib/index';

const base: Plan = Object.freeze({
  vhost: 'a.test',
  throttle: true,
  rule: null,
  bandwidth: 37_500,
  ratio: 100,
  boostSeconds: 5,
  boostBytes: 187_500,
  rate: 37_500,
  dynamic: false,
  sessionCap: 100_000,
  trafficCap: 0,
});

describe('callPlan', () => {
  it.each<[string, Plan | null | undefined, number | null]>([
    ['no state (a host outside every vhost)', undefined, null],
    ['null', null, null],
    ['a no-BT plan', { ...base, throttle: false, bandwidth: null, rate: null }, null],
    ['a BT plan without a rate', { ...base, rate: null }, null],
    ['300 kbps (37,500 bytes/s)', base, 300_000],
    ['a fractional rate, rounded down', { ...base, rate: 37_500.99 }, 300_007],
    ['a zero rate: 1 kbps, still a limit', { ...base, rate: 0 }, 1000],
    ['past 1 Tbit/s: 1 Tbit/s, a number an SDP can carry', { ...base, rate: 1e13 }, 1e12],
  ])('%s', (_what, plan, bps) => {
    const out = callPlan(plan);
    expect(out === null ? null : out.bitsPerSecond).toBe(bps);
  });

  it('ignores the session cap, TrafficCap and boost: they meter bytes this server sends', () => {
    expect(callPlan({ ...base, sessionCap: 1_000, trafficCap: 1_000, boostSeconds: 0, boostBytes: 0 })).toEqual({ bitsPerSecond: 300_000 });
  });

  it('passes shares and RTCP through', () => {
    expect(callPlan(base, { shares: { audio: 1, video: 4 }, rtcp: { rs: 0, rr: 0 } })).toEqual({ bitsPerSecond: 300_000, shares: { audio: 1, video: 4 }, rtcp: { rs: 0, rr: 0 } });
  });
});
