import { TokenBucket } from '../../lib/meter/token-bucket';

describe('TokenBucket', () => {
  it.each([
    { rate: 1000, burst: 500, at: 100, want: 100 },
    { rate: 1000, burst: 500, at: 400, want: 400 },
    { rate: 1000, burst: 500, at: 1000, want: 500 },
    { rate: 1000, burst: 500, at: 3_600_000, want: 500 },
  ])('at $rate B/s with burst $burst holds $want after $at ms', ({ rate, burst, at, want }) => {
    const b = new TokenBucket(rate, burst, 0);
    expect(b.refill(at)).toBeCloseTo(want, 9);
  });

  it('never banks more than its burst across a stall, and restarts empty on reset', () => {
    const b = new TokenBucket(2000, 1000, 0);
    b.refill(10_000);
    b.take(1000);
    expect(b.refill(10_250)).toBeCloseTo(500, 9);
    b.reset(20_000);
    expect(b.tokens).toBe(0);
    expect(b.msUntil(200)).toBeCloseTo(100, 9);
  });
});
