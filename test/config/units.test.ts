import { parseAmount, parseUnit, toBytesPerSecond, kbpsToBytes, mbpsToBytes } from '../../lib/config/units';

describe('units (docs/spec.md §1)', () => {
  it.each([
    ['kbps', 1000, 125_000],
    ['mbps', 2, 250_000],
    ['bytes', 512, 512],
    ['kb', 3, 3072],
    ['mb', 1.5, 1_572_864],
    ['Kbps', 1, 125],
    ['MB', 1, 1_048_576],
  ])('%s × %d = %d bytes/s', (unit, value, bytes) => {
    const u = parseUnit(unit);
    expect(u).not.toBeNull();
    expect(toBytesPerSecond(value, u as NonNullable<typeof u>)).toBe(bytes);
  });

  it.each([['gbps'], [''], ['bits'], ['kbit']])('rejects the unit %j', (unit) => {
    expect(parseUnit(unit)).toBeNull();
  });

  it.each([['0', 0], ['1000', 1000], ['1.25', 1.25], [' 7 ', 7], ['.5', 0.5]])('reads the amount %j', (text, n) => {
    expect(parseAmount(text)).toBe(n);
  });

  it.each([['-1'], ['NaN'], ['Infinity'], ['1e3'], ['0x10'], [''], ['1.'], ['abc'], ['1,5']])('rejects the amount %j', (text) => {
    expect(parseAmount(text)).toBeNull();
  });

  it('converts caps: Session in Kbps, TrafficCap in Mbps', () => {
    expect(kbpsToBytes(2000)).toBe(250_000);
    expect(mbpsToBytes(50)).toBe(6_250_000);
  });
});
