import { ViewerTable } from '../../lib/segmented/viewer-table';

function table(o: { idleMs?: number; max?: number } = {}) {
  let now = 0;
  const t = new ViewerTable({ ...o, clock: () => now });
  return { t, advance: (ms: number) => void (now += ms) };
}

describe('ViewerTable', () => {
  afterEach(() => jest.useRealTimers());

  it.each([
    ['2 s segments, 4 s boost', [[0, 2], [1, 2], [2, 2], [3, 2]], 4, [1, 1, 0, 0]],
    ['a boost that ends inside a segment', [[0, 4], [1, 4]], 6, [1, 0.5]],
    ['no boost', [[0, 2]], 0, [0]],
    ['a seek forward starts a new boost', [[0, 2], [1, 2], [2, 2], [7, 2], [8, 2], [9, 2]], 4, [1, 1, 0, 1, 1, 0]],
    ['a seek back starts a new boost', [[5, 2], [6, 2], [7, 2], [2, 2]], 4, [1, 1, 0, 1]],
    ['the same segment again (another rendition) counts once', [[0, 2], [1, 2], [1, 2], [2, 2], [2, 2], [3, 2]], 4, [1, 1, 1, 0, 0, 0]],
    ['audio and video of the same number count once', [[0, 2], [0, 2], [1, 2], [1, 2], [2, 2], [2, 2]], 4, [1, 1, 1, 1, 0, 0]],
    ['tracks fetched out of step are no seek', [[0, 2], [1, 2], [2, 2], [3, 2], [2, 2], [3, 2], [4, 2], [1, 2]], 4, [1, 1, 0, 0, 0, 0, 0, 1]],
    ['a partly boosted segment again gets its part', [[0, 3], [1, 3], [1, 3], [0, 3]], 4, [1, 1 / 3, 1 / 3, 1]],
    ['four behind is a seek', [[0, 2], [1, 2], [2, 2], [3, 2], [4, 2], [5, 2], [1, 2]], 4, [1, 1, 0, 0, 0, 0, 1]],
    ['unknown numbers follow the previous one', [[null, 2], [null, 2], [null, 2]], 4, [1, 1, 0]],
  ] as const)('%s', (_name, segs, boost, want) => {
    const { t } = table();
    expect(segs.map(([seq, d]) => t.boosted('v', seq, d, boost))).toEqual(want);
    t.close();
  });

  describe('spread: a viewer is paced, not each request', () => {
    // Each step: [ms since the start, seq, seconds at its own pace] → the seconds it should take.
    it.each([
      ['one after another: each at its own pace', [[0, 2, 1], [1000, 3, 1], [2000, 4, 1]], [1, 1, 1]],
      ['fetched ahead: ends a pace after the one before', [[0, 2, 1], [100, 3, 1], [200, 4, 1]], [1, 1.9, 2.8]],
      ['after a pause: its own pace again', [[0, 2, 1], [5000, 3, 1]], [1, 1]],
      ['the same number (audio beside video): side by side', [[0, 2, 1], [0, 2, 0.5], [1000, 3, 1], [1000, 3, 0.5]], [1, 0.5, 1, 0.5]],
      ['the same number later (another rendition): from now', [[0, 2, 1], [600, 2, 1]], [1, 1]],
      ['a number behind the newest: its own pace', [[0, 3, 1], [0, 4, 1], [0, 2, 1]], [1, 2, 1]],
    ] as const)('%s', (_name, steps, want) => {
      let now = 0;
      const t = new ViewerTable({ clock: () => now });
      const got = steps.map(([at, seq, secs]) => {
        now = at;
        t.boosted('v', seq, 2, 0);
        return Math.round(t.spread('v', seq, secs) * 1000) / 1000;
      });
      expect(got).toEqual(want);
      t.close();
    });

    it('gives an unknown viewer its own pace', () => {
      expect(new ViewerTable().spread('nobody', 3, 1.5)).toBe(1.5);
    });
  });

  it('keeps viewers apart', () => {
    const { t } = table();
    expect([t.boosted('a', 0, 4, 4), t.boosted('a', 1, 4, 4), t.boosted('b', 0, 4, 4), t.boosted('b', 1, 4, 4)]).toEqual([1, 0, 1, 0]);
    t.close();
  });

  it('forgets a viewer after the idle time: its next segment gets a new boost', () => {
    const { t, advance } = table({ idleMs: 60_000 });
    t.boosted('a', 0, 4, 4);
    advance(59_000);
    expect(t.boosted('a', 1, 4, 4)).toBe(0);
    advance(60_000);
    t.sweep();
    expect(t.size).toBe(0);
    expect(t.boosted('a', 2, 4, 4)).toBe(1);
    t.close();
  });

  it('holds at most max viewers, dropping the least recently seen', () => {
    const { t, advance } = table({ max: 3 });
    for (const v of ['a', 'b', 'c']) {
      t.boosted(v, 0, 4, 4);
      advance(1);
    }
    t.boosted('a', 1, 4, 4); // a is fresh again
    t.boosted('d', 0, 4, 4); // b goes
    expect(t.size).toBe(3);
    expect(t.boosted('a', 2, 4, 4)).toBe(0); // a kept its place
    expect(t.boosted('b', 1, 4, 4)).toBe(1); // b starts over (a new boost)
    t.close();
  });

  it('sweeps on an unref\'d timer while it holds viewers, and stops when empty', () => {
    jest.useFakeTimers();
    let now = 0;
    const t = new ViewerTable({ idleMs: 4000, clock: () => now });
    t.boosted('a', 0, 2, 4);
    expect(jest.getTimerCount()).toBe(1);
    now = 5000;
    jest.advanceTimersByTime(1000);
    expect(t.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it.each([
    [{ idleMs: 0 }, /segmented.idleSeconds/],
    [{ idleMs: NaN }, /segmented.idleSeconds/],
    [{ max: 0 }, /segmented.maxViewers/],
    [{ max: 1.5 }, /segmented.maxViewers/],
  ])('rejects %j', (o, msg) => expect(() => new ViewerTable(o)).toThrow(msg));
});
