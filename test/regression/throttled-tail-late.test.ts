import { harness } from '../meter/harness';

/**
 * A throttled body's last bytes, fewer than a full write, waited for a full write's worth of
 * credit (16 KiB) before they went out: a 2 s HLS segment paced at 150 % (1.333 s) ended up
 * to 0.45 s late. The flow now also wakes when the rest of the body is due.
 */
describe('regression: the tail of a throttled body arrives late', () => {
  it.each([
    [49_600, 37_200],
    [21_600, 16_200],
    [100_000, 8_000],
  ])('a %d-byte body at %d B/s ends within one tick of size ÷ rate', (length, rate) => {
    const h = harness();
    const f = h.open({ session: 'a', rate, length });
    const ideal = (length / rate) * 1000;
    let t = 0;
    while (f.sent < length && t < ideal * 3) {
      h.run(20);
      t += 20;
    }
    expect(f.sent).toBe(length);
    expect(t).toBeGreaterThanOrEqual(ideal - 20);
    expect(t).toBeLessThanOrEqual(ideal + 40);
  });
});
