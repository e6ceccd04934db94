import { buildRecord, toKbps } from '../../lib/observe/response-record';
import type { Plan } from '../../lib/types';

const plan: Plan = {
  vhost: 'www.example.com',
  throttle: true,
  rule: { line: 3, text: '$IP[192.168.1.1], 2000, 150, 3' },
  bandwidth: 250_000,
  ratio: 150,
  boostSeconds: 3,
  boostBytes: 1_125_000,
  rate: 375_000,
  dynamic: false,
  sessionCap: 0,
  trafficCap: 0,
};

const base = {
  start: Date.UTC(2026, 10, 23, 0, 0, 0),
  end: Date.UTC(2026, 10, 23, 0, 0, 2),
  vhost: 'www.example.com',
  session: 's1',
  ip: '192.168.1.1',
  method: 'GET',
  url: '/video.mp4?tag=3277',
  status: 200,
  bytes: 1_000_000,
  aborted: false,
};

describe('buildRecord', () => {
  it('turns a BT plan into kbps as explain prints it', () => {
    const r = buildRecord({ ...base, plan });
    expect(r.plan).toEqual({ throttle: true, rule: plan.rule, bandwidthKbps: 3000, ratio: 150, boostSeconds: 3, dynamic: false });
    expect(r.durationMs).toBe(2000);
    expect(r.rateKbps).toBe(4000);
    expect(r.time).toBe('2026-11-23T00:00:02.000Z');
  });

  it.each([
    ['no plan (unmatched host)', null],
    ['a plan without BT', { ...plan, throttle: false, rate: null, bandwidth: null, rule: null }],
  ])('shows no bandwidth for %s', (_name, p) => {
    const r = buildRecord({ ...base, plan: p });
    expect(r.plan.throttle).toBe(false);
    expect(r.plan.bandwidthKbps).toBeNull();
  });

  it('gives a zero rate, not Infinity, for a zero-length response', () => {
    const r = buildRecord({ ...base, end: base.start, plan });
    expect(r.rateKbps).toBe(0);
    expect(r.durationMs).toBe(0);
  });

  it.each([
    [125, 1],
    [125_000, 1000],
    [1, 0.008],
  ])('toKbps(%p bytes/s) = %p kbps', (bps, kbps) => {
    expect(toKbps(bps)).toBe(kbps);
  });
});
