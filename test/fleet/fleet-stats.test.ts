import { bytesIn, jain, spreadBytesIn, worstStall } from '../helpers/fleet-stats';

describe('the fleet measures', () => {
  it.each([
    [[1, 1, 1, 1], 1],
    [[5, 0, 0, 0], 0.25],
    [[2, 1], 0.9],
    [[0, 0], 1],
  ])('Jain of %j is %d', (xs, j) => {
    expect(jain(xs)).toBeCloseTo(j, 6);
  });

  it('counts the bytes of chunks inside a half-open window', () => {
    const chunks: Array<[number, number]> = [
      [0, 1],
      [10, 2],
      [20, 4],
      [30, 8],
    ];
    expect(bytesIn(chunks, 10, 30)).toBe(6);
    expect(bytesIn(chunks, 0, 100)).toBe(15);
  });

  it.each([
    ['a window covering every gap', 0, 40, 15],
    ['half of the third chunk', 15, 20, 2],
    ['the first chunk, and half of the second', 0, 5, 2],
    ['from the third chunk on: only the last', 20, 100, 8],
    ['nothing', 40, 50, 0],
  ])('spreads each chunk over its gap: %s', (_name, from, to, bytes) => {
    const chunks: Array<[number, number]> = [
      [0, 1],
      [10, 2],
      [20, 4],
      [30, 8],
    ];
    expect(spreadBytesIn(chunks, from, to)).toBeCloseTo(bytes, 9);
  });

  describe('worstStall', () => {
    const pace = () => 1000; // bytes/s: 1 byte per ms
    it.each([
      ['a response on pace', [[0, 0], [100, 100], [300, 200], [350, 50]], 0, NaN],
      ['a gap of 400 ms for 100 bytes', [[0, 0], [100, 100], [600, 100]], 400, 600],
      ['a burst after a gap', [[0, 0], [500, 400], [510, 10]], 100, 500],
    ] as Array<[string, Array<[number, number]>, number, number]>)('%s', (_name, chunks, stall, at) => {
      const w = worstStall(chunks, 0, 10_000, pace);
      expect(w.stall).toBeCloseTo(stall, 6);
      if (Number.isNaN(at)) expect(w.at).toBeNaN();
      else expect(w.at).toBe(at);
    });

    it('ignores chunks outside the window', () => {
      expect(worstStall([[0, 0], [1000, 0], [1010, 10]], 500, 2000, pace).stall).toBe(1000);
      expect(worstStall([[0, 0], [1000, 0], [1010, 10]], 1005, 2000, pace).stall).toBe(0);
    });
  });
});
