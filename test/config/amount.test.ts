import { hasUnit, readDuration, readPercent, readRate } from '../../lib/config/amount';

describe('amounts in JavaScript (docs/config.md, "Amounts in JavaScript")', () => {
  describe('readRate', () => {
    it.each<[unknown, number]>([
      [0, 0],
      [250_000, 250_000],
      [0.5, 0.5],
      ['2mbps', 250_000],
      ['2Mbps', 250_000],
      ['2 Mbps', 250_000],
      ['500kbps', 62_500],
      ['500 Kbps', 62_500],
      ['1.5mbps', 187_500],
      ['1gbps', 125_000_000],
      ['8000bps', 1000],
      ['64KiB/s', 65_536],
      ['64 kib/s', 65_536],
      ['1MiB/s', 1_048_576],
      ['1GiB/s', 1_073_741_824],
      ['100B/s', 100],
      ['100 bytes/s', 100],
      ['.5mbps', 62_500],
      [' 2mbps ', 250_000],
    ])('reads %j as %d bytes/s', (value, bytes) => {
      expect(readRate(value)).toEqual({ ok: true, value: bytes });
    });

    it.each<[unknown, RegExp]>([
      ['fast', /string with a unit/],
      ['2', /string with a unit/],
      ['-2mbps', /string with a unit/],
      ['2 furlongs/s', /string with a unit/],
      ['1e3kbps', /string with a unit/],
      ['NaNkbps', /string with a unit/],
      ['Infinitymbps', /string with a unit/],
      ['', /string with a unit/],
      ['2mbpsx', /string with a unit/],
      ['500kb', /unambiguous unit: 'kbps' \(1000 bit\/s\) or 'KiB\/s' \(1024 bytes\/s\)/],
      ['500KB/s', /unambiguous unit: 'kbps' \(1000 bit\/s\) or 'KiB\/s'/],
      ['2MB/s', /unambiguous unit: 'mbps'/],
      ['2mb', /unambiguous unit: 'mbps'/],
      ['100bytes', /unambiguous unit: 'B\/s'/],
      ['2mbit/s', /unambiguous unit: 'mbps'/],
      [-1, /bytes\/s ≥ 0/],
      [NaN, /bytes\/s ≥ 0/],
      [Infinity, /bytes\/s ≥ 0/],
      [1e300, /bytes\/s ≥ 0/],
      ['1000000000000000gbps', /string with a unit/],
      [null, /bytes\/s ≥ 0/],
      [{}, /bytes\/s ≥ 0/],
      [true, /bytes\/s ≥ 0/],
    ])('refuses %j, saying what it expected', (value, expected) => {
      const r = readRate(value);
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.expected).toMatch(expected);
    });
  });

  describe('readDuration', () => {
    it.each<[unknown, number]>([
      [5, 5],
      [0, 0],
      ['5s', 5],
      ['5 s', 5],
      ['5sec', 5],
      ['5secs', 5],
      ['5 seconds', 5],
      ['500ms', 0.5],
      ['2min', 120],
      ['1.5 mins', 90],
      ['1 minute', 60],
      // The config files' time expressions read the same here.
      ['1min 30secs', 90],
      ['2hours', 7200],
    ])('reads %j as %d s', (value, seconds) => {
      expect(readDuration(value)).toEqual({ ok: true, value: seconds });
    });

    it.each<[unknown]>([['5'], ['5h'], ['soon'], ['-5s'], [-1], [NaN], ['5 s s'], [null], ['ms'], ['30secs 1min'], ['1min 30']])('refuses %j', (value) => {
      const r = readDuration(value);
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.expected).toMatch(/seconds ≥ 0 or a string with a unit \('5s', '500ms', '2min'\)/);
    });
  });

  describe('readPercent', () => {
    it.each<[unknown, number]>([[120, 120], ['120%', 120], ['50 %', 50], ['0%', 0]])('reads %j as %d %', (value, percent) => {
      expect(readPercent(value)).toEqual({ ok: true, value: percent });
    });

    it.each<[unknown]>([['120'], ['1.2x'], [-5], ['abc%'], [Infinity]])('refuses %j', (value) => {
      expect(readPercent(value).ok).toBe(false);
    });
  });

  it.each<[string, boolean]>([
    ['800kbps', true],
    ['5s', true],
    ['120%', true],
    ['800', false],
    ['1.5', false],
    ['abc', false],
    ['ON', false],
    ['', false],
  ])('hasUnit(%j) is %s', (text, expected) => {
    expect(hasUnit(text)).toBe(expected);
  });
});
