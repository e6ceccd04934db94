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

// Cases from a moov-last MP4's header ranges (front boxes, then moov at the end).
describe('exemptForRange on a moov-last header', () => {
  const moovLast = [{ start: 0, end: 40 }, { start: 47502, end: 49812 }];
  it.each([
    ['a whole-file 200', 0, 49812, moovLast],
    ['a Range request for moov', 47000, 49812, [{ start: 502, end: 2812 }]],
    ['a range inside moov', 48000, 48100, [{ start: 0, end: 100 }]],
    ['a range of media data only', 1000, 40000, []],
    ['a range across the front header', 20, 1000, [{ start: 0, end: 20 }]],
    ['an empty range', 10, 10, []],
  ])('%s', (_name, start, end, want) => {
    expect(exemptForRange(moovLast, start, end)).toEqual(want);
  });

  it('has nothing to exempt for no header', () => {
    expect(exemptForRange([], 0, 100)).toEqual([]);
  });
});
