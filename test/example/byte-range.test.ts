import { decideRange } from '../../example-app/byte-range';
import type { RangeDecision } from '../../example-app/byte-range';

const LM = 'Mon, 23 Nov 2026 00:00:00 GMT';
const full: RangeDecision = { kind: 'full' };
const none: RangeDecision = { kind: 'unsatisfiable' };
const part = (first: number, last: number): RangeDecision => ({ kind: 'partial', first, last });

describe('decideRange', () => {
  describe('for a 10 000-byte file', () => {
    const cases: Array<[string | undefined, RangeDecision]> = [
      [undefined, full],
      ['bytes=0-499', part(0, 499)],
      ['bytes=1000-', part(1000, 9999)],
      ['bytes=-500', part(9500, 9999)],
      ['bytes=9999-', part(9999, 9999)],
      ['bytes=0-0', part(0, 0)],
      ['bytes=500-20000', part(500, 9999)], // last-byte-pos past the end is clamped
      ['bytes=-20000', part(0, 9999)], // a suffix longer than the file is the whole file (RFC 9110 §14.1.2)
      ['BYTES = 10-19', part(10, 19)],
      ['bytes= 10 - 19 ', part(10, 19)],
      ['bytes=0-99,100-199', part(0, 199)], // adjacent ranges merge
      ['bytes=50-150,0-99', part(0, 150)], // overlapping, out of order
      ['bytes=0-99,200-299', full], // disjoint: would need multipart, send it all
      ['bytes=10000-', none],
      ['bytes=10000-10005', none],
      ['bytes=-0', none],
      ['bytes=20000-,30000-', none],
      ['bytes=20000-,0-9', part(0, 9)], // the satisfiable part is served
      ['bytes=5-3', full], // invalid: ignored
      ['bytes=abc', full],
      ['bytes=-', full],
      ['bytes=1-2-3', full],
      ['bytes=0x10-', full],
      ['items=0-9', full], // unknown unit: ignored
      ['0-9', full],
      ['', full],
    ];
    it.each(cases)('Range %p → %p', (range, expected) => {
      expect(decideRange({ range, ifRange: undefined, size: 10000, lastModified: LM })).toEqual(expected);
    });
  });

  describe('with If-Range', () => {
    it('honours the range when the date matches', () => {
      expect(decideRange({ range: 'bytes=5-', ifRange: LM, size: 10, lastModified: LM })).toEqual(part(5, 9));
    });
    it('sends the whole file when the client copy is stale', () => {
      expect(decideRange({ range: 'bytes=5-', ifRange: 'Sun, 01 Jan 2023 00:00:00 GMT', size: 10, lastModified: LM })).toEqual(full);
      expect(decideRange({ range: 'bytes=5-', ifRange: '"etag"', size: 10, lastModified: LM })).toEqual(full);
    });
  });

  it('finds nothing satisfiable in an empty file', () => {
    expect(decideRange({ range: 'bytes=0-', ifRange: undefined, size: 0, lastModified: LM })).toEqual(none);
    expect(decideRange({ range: 'bytes=-5', ifRange: undefined, size: 0, lastModified: LM })).toEqual(none);
  });
});
