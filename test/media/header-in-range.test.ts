import { headerInRange } from '../../lib/media/header-in-range';

const moovLast = [{ start: 0, end: 40 }, { start: 47502, end: 49812 }];

describe('headerInRange', () => {
  it.each([
    ['a whole-file 200', { start: 0, end: 49812 }, moovLast],
    ['a Range request for moov', { start: 47000, end: 49812 }, [{ start: 502, end: 2812 }]],
    ['a range inside moov', { start: 48000, end: 48100 }, [{ start: 0, end: 100 }]],
    ['a range of media data only', { start: 1000, end: 40000 }, []],
    ['a range across the front header', { start: 20, end: 1000 }, [{ start: 0, end: 20 }]],
    ['an empty range', { start: 10, end: 10 }, []],
  ])('%s', (_name, range, want) => {
    expect(headerInRange(moovLast, range)).toEqual(want);
  });

  it('has nothing to exempt for no header', () => {
    expect(headerInRange([], { start: 0, end: 100 })).toEqual([]);
  });
});
