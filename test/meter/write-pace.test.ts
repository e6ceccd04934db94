import { pace, type PaceState } from '../../lib/meter/write-pace';
import { TimingWheel } from '../../lib/meter/timing-wheel';
import { burstOf, SHARED_PACE, SOLO_PACE } from '../../lib/meter/flow';

const cfg = { chunkMax: 65_536, tickMs: 20 };
/** A 64 kbps flow (8,000 B/s) on the solo pace, 300 ms after its last write, 9,000 bytes held. */
const base: PaceState = { credit: 9000, left: 1e9, inFree: false, untilFree: Infinity, age: 300, flushBytes: 16_384, minWrite: 16_384, minAge: 250, maxAge: 2000 };
const at8000 = (s: PaceState) => (n: number): number => Math.max(0, ((n - s.credit) / 8000) * 1000);

describe('pace: bytes now, and when to look next', () => {
  it.each<[string, Partial<PaceState>, number, number]>([
    ['waits for a full slow write (16 KiB at 8,000 B/s: 923 ms more)', {}, 0, 923],
    ['writes what it holds once minWrite is there and minAge has passed', { credit: 16_000, minWrite: 12_000 }, 16_000, 0],
    ['holds minWrite but minAge has not passed: waits out minAge', { credit: 13_000, minWrite: 12_000, age: 100 }, 0, 150],
    ['writes a full write at once, even right after the last', { credit: 20_000, age: 0 }, 20_000, 0],
    ['never writes more than chunkMax at once', { credit: 200_000, age: 0 }, 65_536, 0],
    ['writes whatever it holds at maxAge', { credit: 500, age: 2000 }, 500, 0],
    ['waits for maxAge when the rate is slower than the pace', { credit: 500, age: 1900, minWrite: 1e9 }, 0, 100],
    ['writes the last bytes of the body at once', { credit: 700, left: 700, age: 0 }, 700, 0],
    ['writes exempt bytes at once', { credit: 100, inFree: true, age: 0 }, 100, 0],
    ['writes the credit before an exempt range at once', { credit: 100, untilFree: 0, age: 0 }, 100, 0],
    ['wakes for the start of an exempt range ahead (100 bytes: 12.5 ms, at least a tick)', { credit: 100, untilFree: 100, age: 0 }, 0, 20],
    ['holds less than a byte: waits', { credit: 0.5, age: 5000 }, 0, 20],
    ['never waits less than a tick', { credit: 16_380, age: 0 }, 0, 20],
    ['wakes when the rest of the body is due, not at a full write (1,000 bytes left: 125 ms)', { credit: 0, left: 1000, age: 0 }, 0, 125],
  ])('%s', (_name, over, bytes, waitMs) => {
    const s = { ...base, ...over };
    const r = pace(s, cfg, at8000(s));
    expect(r.bytes).toBe(bytes);
    expect(r.waitMs).toBeCloseTo(waitMs, 0);
  });

  it('a flow with no rate of its own (a shared cap) looks again after a tick', () => {
    const s = { ...base, credit: 1000, age: 0 };
    expect(pace(s, cfg, () => 0)).toEqual({ bytes: 0, waitMs: 20, last: false, tailMs: 20 });
  });
});

describe('TimingWheel', () => {
  it('hands each entry over once, when its slot comes, in slot order', () => {
    const w = new TimingWheel<{ wakeSlot: number; name: string }>(20);
    const a = { wakeSlot: -1, name: 'a' };
    const b = { wakeSlot: -1, name: 'b' };
    const c = { wakeSlot: -1, name: 'c' };
    w.add(a, 0, 95);
    w.add(b, 0, 30);
    w.add(c, 0, 30);
    w.add(c, 0, 200); // moved: only its last slot counts
    const got: string[] = [];
    w.due(50, (e) => got.push(e.name));
    expect(got).toEqual(['b']);
    w.due(100, (e) => got.push(e.name));
    expect(got).toEqual(['b', 'a']);
    w.remove(c);
    w.due(1000, (e) => got.push(e.name));
    expect(got).toEqual(['b', 'a']);
    expect(w.size).toBe(0);
  });
});

describe('burstOf: what a bucket may bank', () => {
  const o = { flushMs: 250, tickMs: 20, burstSeconds: 0.25 };
  it.each([
    ['64 kbps alone: two of its 4 s sleeps and the 250 ms grain', 8000, SOLO_PACE, 8.5],
    ['256 kbps alone: two of its 1.02 s sleeps and the grain', 32_000, SOLO_PACE, 2.548],
    ['2 Mbps alone: two of its 131 ms sleeps and the grain', 250_000, SOLO_PACE, 0.762],
    ['100 Mbps alone: burstSeconds, not 8 s of 100 Mbps', 12_500_000, SOLO_PACE, 0.25],
    ['64 kbps under a cap: two of its 1 s sleeps', 8000, SHARED_PACE, 2],
  ])('%s', (_name, rate, pace, seconds) => {
    expect(burstOf(rate, o, pace) / rate).toBeCloseTo(seconds, 3);
  });
});
