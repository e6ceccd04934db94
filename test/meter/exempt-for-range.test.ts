import { exemptForRange } from '../../lib/meter/exempt-for-range';

const header = [
  { start: 0, end: 1000 },
  { start: 9000, end: 9500 },
];

describe('exemptForRange', () => {
  it.each([
    { name: 'a full response carries the whole header', start: 0, end: 10000, want: [{ start: 0, end: 1000 }, { start: 9000, end: 9500 }] },
    { name: 'a 206 inside the first header part', start: 600, end: 5000, want: [{ start: 0, end: 400 }] },
    { name: 'a 206 past the first part, covering half the second', start: 5000, end: 9250, want: [{ start: 4000, end: 4250 }] },
    { name: 'a 206 with no header bytes', start: 2000, end: 8000, want: [] },
    { name: 'a 206 of exactly the moov range', start: 9000, end: 9500, want: [{ start: 0, end: 500 }] },
  ])('$name', ({ start, end, want }) => {
    expect(exemptForRange(header, start, end)).toEqual(want);
  });
});
