import type { ByteRange } from '../types';

/**
 * The body-relative exempt ranges of a response that carries the file bytes `[start, end)`
 * (for a 206, `start` is the Content-Range start and `end` its last byte + 1). A 206 is
 * exempt for exactly the header bytes its range covers (docs/spec.md §5).
 *
 * @example
 * ```ts
 * exemptForRange([{ start: 0, end: 1000 }], 600, 5000); // → [{ start: 0, end: 400 }]
 * ```
 */
export function exemptForRange(headerRanges: readonly ByteRange[], start: number, end: number): ByteRange[] {
  const out: ByteRange[] = [];
  for (const r of headerRanges) {
    const s = Math.max(r.start, start);
    const e = Math.min(r.end, end);
    if (e > s) out.push({ start: s - start, end: e - start });
  }
  return out.sort((a, b) => a.start - b.start);
}
