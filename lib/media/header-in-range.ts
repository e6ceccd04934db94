import type { ByteRange } from '../types';

/**
 * The parts of a file's header ranges that a response carrying file bytes `[range.start,
 * range.end)` sends, in body offsets (0 = the body's first byte). A 200 response passes the
 * whole file; a 206 is exempt for exactly the header bytes its range covers (SPEC §5).
 *
 * @example
 * ```ts
 * // moov-last MP4: header [0, 40) and [73949, 75850); a player asks for bytes=73000-
 * headerInRange([{ start: 0, end: 40 }, { start: 73949, end: 75850 }], { start: 73000, end: 75850 });
 * // [{ start: 949, end: 2850 }]
 * ```
 */
export function headerInRange(header: readonly ByteRange[], range: ByteRange): ByteRange[] {
  const out: ByteRange[] = [];
  for (const h of header) {
    const start = Math.max(h.start, range.start);
    const end = Math.min(h.end, range.end);
    if (end > start) out.push({ start: start - range.start, end: end - range.start });
  }
  return out;
}
