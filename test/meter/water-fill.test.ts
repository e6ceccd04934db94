import { waterFill } from '../../lib/meter/water-fill';

describe('waterFill', () => {
  it.each([
    { cap: 100, demands: [10, 80, 80], want: [10, 45, 45] },
    { cap: 100, demands: [50, 50], want: [50, 50] },
    { cap: 100, demands: [10, 20], want: [10, 20] },
    { cap: 90, demands: [100, 100, 100], want: [30, 30, 30] },
    { cap: 100, demands: [0, 100, 5, 100], want: [0, 47.5, 5, 47.5] },
    { cap: 0, demands: [5, 5], want: [0, 0] },
    { cap: 10, demands: [], want: [] },
  ])('splits $cap among $demands max-min fairly', ({ cap, demands, want }) => {
    const got = waterFill(cap, demands);
    expect(got).toHaveLength(want.length);
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i] as number, 9));
  });

  it('never hands out more than the capacity and is work-conserving', () => {
    const demands = Array.from({ length: 200 }, (_, i) => (i * 7919) % 113);
    const got = waterFill(3000, demands);
    const sum = got.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(Math.min(3000, demands.reduce((a, b) => a + b, 0)), 6);
    got.forEach((g, i) => expect(g).toBeLessThanOrEqual((demands[i] as number) + 1e-9));
  });
});
