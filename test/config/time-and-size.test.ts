import { parseBoostValue } from '../../lib/config/boost';
import { parseByteSize } from '../../lib/config/byte-size';
import { parseDuration } from '../../lib/config/duration';
import { readRate } from '../../lib/config/amount';

describe('time expressions (STON)', () => {
  it.each([
    ['5', 5],
    ['2.5', 2.5],
    ['5s', 5],
    ['5sec', 5],
    ['5secs', 5],
    ['5 secs', 5],
    ['5second', 5],
    ['5seconds', 5],
    ['5 Seconds', 5],
    ['1min', 60],
    ['1min 30secs', 90],
    ['1min30secs', 90],
    ['2mins', 120],
    ['1minute 1second', 61],
    ['1.5minutes', 90],
    ['1hour', 3600],
    ['1hour 30mins', 5400],
    ['2hours 1min 5secs', 7265],
    ['1day', 86_400],
    ['1week 1day', 691_200],
    ['0secs', 0],
    ['  1min  30secs  ', 90],
  ])('%j is %d s', (text, want) => {
    expect(parseDuration(text)).toBe(want);
  });

  it.each([
    [''],
    ['s'],
    ['-5'],
    ['-5s'],
    ['5m'], // no one-letter minutes: 5m could be 5 MB
    ['5h'],
    ['5secss'],
    ['5 parsecs'],
    ['1min 30'], // a bare number after a unit
    ['30secs 1min'], // out of order
    ['1min 2mins'], // a unit twice
    ['1min 1minute'],
    ['1e3s'],
    ['Infinity'],
    ['NaN secs'],
    ['0x10s'],
    ['5s,'],
    ['5 s 5'],
    ['9999999999999999 days'], // above the largest amount
    ['1min 30secs '.repeat(30)],
  ])('%j is rejected', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('byte sizes', () => {
  it.each([
    ['512KB', 524_288],
    ['512kb', 524_288],
    ['512 KiB', 524_288],
    ['1MB', 1_048_576],
    ['1.5MiB', 1_572_864],
    ['2GB', 2_147_483_648],
    ['65536bytes', 65_536],
    ['100 B', 100],
    ['1byte', 1],
    ['0.5KB', 512],
  ])('%j is %d bytes', (text, want) => {
    expect(parseByteSize(text)).toBe(want);
  });

  it.each([['512'], ['512k'], ['5m'], ['-1KB'], ['1TB'], ['KB'], ['1 K B'], ['1e3KB'], ['999999999999GB']])('%j is rejected', (text) => {
    expect(parseByteSize(text)).toBeNull();
  });
});

describe('a Boost value', () => {
  it.each([
    ['5', { seconds: 5 }],
    ['1min 30secs', { seconds: 90 }],
    ['512KB', { bytes: 524_288 }],
    ['1 MiB', { bytes: 1_048_576 }],
  ])('%j is %j', (text, want) => {
    expect(parseBoostValue(text)).toEqual(want);
  });
  it.each([['5m'], ['fast'], ['512K'], ['']])('%j is neither a time nor a size', (text) => {
    expect(parseBoostValue(text)).toBeNull();
  });
});

describe('rate strings (the per-response API)', () => {
  it.each([
    ['2mbps', 250_000],
    ['500 kbps', 62_500],
    ['8000bps', 1000],
    ['1gbps', 125_000_000],
    ['64KiB/s', 65_536],
    ['50000B/s', 50_000],
    ['50000 bytes/s', 50_000],
  ])('%j is %d B/s', (text, want) => {
    expect(readRate(text)).toEqual({ ok: true, value: want });
  });
  it.each([['2000'], ['2 mb'], ['fast'], ['-1kbps'], ['2mbit'], ['1e6bps'], ['64KB/s'], ['1MB/s']])('%j is rejected', (text) => {
    expect(readRate(text).ok).toBe(false);
  });
});
