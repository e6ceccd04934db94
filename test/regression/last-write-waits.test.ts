/**
 * Reported (while measuring X-Accel-Limit-Rate): a short BT-only body finished late. Its last
 * write waited until a full write's worth of credit (16 KiB) had accrued, though the rest of
 * the body was smaller, so a 300,000-byte response at 50,000 B/s took up to 0.3 s longer than
 * 6 s (−3 % measured end to end). The last write is now due as soon as the rest is earned.
 */
import { harness } from '../meter/harness';

describe('the last write of a BT-only body', () => {
  it.each([
    [300_000, 50_000],
    [30_000, 10_000],
    [100_000, 8_000],
  ])('%d bytes at %d B/s end one tick after the rate allows, not a write later', (length, rate) => {
    const h = harness({ flushMs: 250 });
    const f = h.open({ session: 'a', rate, length });
    const ideal = (length * 1000) / rate;
    h.run(ideal - 100);
    expect(f.closed).toBe(false);
    h.run(100 + 2 * 20);
    expect(f.sent).toBe(length);
    expect(f.closed).toBe(true);
  });
});
