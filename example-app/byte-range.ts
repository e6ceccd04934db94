/**
 * What to send for a request's `Range` header (RFC 9110 §14). `first` and `last` are
 * inclusive byte offsets, as `fs.createReadStream({ start, end })` takes them.
 */
export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; first: number; last: number }
  | { kind: 'unsatisfiable' };

export interface RangeRequest {
  /** The `Range` header, if any. */
  range: string | undefined;
  /** The `If-Range` header, if any. */
  ifRange: string | undefined;
  /** The representation's size in bytes. */
  size: number;
  /** The `Last-Modified` value we send, to compare with `If-Range`. */
  lastModified: string | undefined;
}

const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/**
 * Decide between 200, 206 and 416. Pure: no Koa, no file system.
 *
 * Written here rather than with `range-parser`, which answers 416 to a suffix longer than
 * the file; RFC 9110 §14.1.2 says that means the whole file, as a 206.
 *
 * - A malformed header or a unit other than `bytes` is ignored (RFC 9110 §14.2: a server
 *   may ignore Range), and the whole file is sent with 200.
 * - Overlapping or adjacent ranges are merged; disjoint ones would need
 *   multipart/byteranges, which players never ask for, so they get the whole file.
 * - `If-Range` that does not match our `Last-Modified` means the client's copy is stale:
 *   the whole file (RFC 9110 §13.1.5).
 */
export function decideRange(req: RangeRequest): RangeDecision {
  const { range, size } = req;
  if (range === undefined) return { kind: 'full' };
  if (req.ifRange !== undefined && req.ifRange !== req.lastModified) return { kind: 'full' };
  const eq = range.indexOf('=');
  if (eq < 0 || range.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' };

  const wanted: Array<[number, number]> = [];
  for (const part of range.slice(eq + 1).split(',')) {
    const m = SPEC.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
    const [, a = '', b = ''] = m;
    let first: number;
    let last: number;
    if (a === '') {
      // Suffix range `-N`: the last N bytes, or the whole file when it is shorter.
      const n = Number(b);
      if (n === 0) continue;
      first = Math.max(0, size - n);
      last = size - 1;
    } else {
      first = Number(a);
      last = b === '' ? size - 1 : Math.min(Number(b), size - 1);
      if (b !== '' && Number(b) < first) return { kind: 'full' }; // `5-3` is invalid syntax: ignore the header
    }
    if (first < size && first <= last) wanted.push([first, last]);
  }
  if (wanted.length === 0) return { kind: 'unsatisfiable' };

  wanted.sort((x, y) => x[0] - y[0]);
  const [first] = wanted[0]!;
  let last = wanted[0]![1];
  for (const [f, l] of wanted.slice(1)) {
    if (f > last + 1) return { kind: 'full' };
    last = Math.max(last, l);
  }
  return { kind: 'partial', first, last };
}
