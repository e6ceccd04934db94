/**
 * Write pacing: one pure function answering "how many bytes now, and when to look next"
 * (in the manner of HAProxy's `flt_bwlim.c`). A slow flow writes every `minAge` ms once it
 * holds `minWrite` bytes, and at the latest after `maxAge` ms; a full write, the last bytes of
 * the body and exempt bytes go out at once. At 10,000 sessions of 64 kbps the server's time
 * goes to the socket write and the buffer each write needs, whatever its size, so fewer,
 * larger writes cost less (docs/performance.md).
 */

/** What the pacing looks at, in bytes and milliseconds. */
export interface PaceState {
  /** Bytes granted and not yet written. */
  credit: number;
  /** Bytes of the body not yet written (Infinity when its length is unknown). */
  left: number;
  /** The credit is exempt bytes (a media header, a boost): they go out at once. */
  inFree: boolean;
  /** Bytes from the granted position to the next exempt range (Infinity: none ahead). */
  untilFree: number;
  /** Milliseconds since the flow's last write. */
  age: number;
  /** Credit that is written at once. */
  flushBytes: number;
  /** A write waits for this much credit... */
  minWrite: number;
  /** ...and at least this long after the last one... */
  minAge: number;
  /** ...but never longer than this. */
  maxAge: number;
}

/** The process-wide pacing settings. */
export interface PaceConfig {
  /** The largest write. */
  chunkMax: number;
  /** The shortest wait (the scheduler's tick). */
  tickMs: number;
}

/** `bytes` to write now (0: not due), else look again in `waitMs` (≥ tickMs). */
export interface PaceAnswer {
  bytes: number;
  waitMs: number;
  /** The wait is for the body's last bytes: keep it exact (an HLS segment must not end late). */
  last: boolean;
  /** Milliseconds until the body's last bytes are due: a wait rounded up must not pass it. */
  tailMs: number;
}

/**
 * @param msUntil ms until the flow's credit reaches `n` bytes at its rate (0 if it has, or if
 *   nothing limits the rate but the shared allocation).
 * @example
 * ```ts
 * // 64 kbps, 9,000 bytes held, 300 ms since the last write: wait for 16 KiB.
 * pace({ credit: 9000, left: 1e6, inFree: false, untilFree: Infinity, age: 300, flushBytes: 16384,
 *   minWrite: 16384, minAge: 250, maxAge: 2000 }, cfg, (n) => ((n - 9000) / 8000) * 1000);
 * // → { bytes: 0, waitMs: 923 }
 * ```
 */
export function pace(s: PaceState, c: PaceConfig, msUntil: (n: number) => number): PaceAnswer {
  const held = Math.floor(s.credit);
  if (held >= 1 && due(s, held)) return { bytes: Math.min(held, c.chunkMax, s.left), waitMs: 0, last: false, tailMs: 0 };
  // Wake for a full write, a slow write, the longest wait, the start of the next exempt range
  // (its bytes go out at once), or the body's last bytes (a short tail would otherwise wait
  // for a full write's worth of credit, and a 2 s HLS segment paced to 1.33 s would end up to
  // a third of a second late).
  const tail = msUntil(s.left);
  const wait = Math.min(msUntil(s.flushBytes), Math.max(s.minAge - s.age, msUntil(s.minWrite)), s.maxAge - s.age, msUntil(s.credit + s.untilFree), tail);
  return { bytes: 0, waitMs: Math.max(c.tickMs, wait), last: wait > 0 && wait === tail, tailMs: Math.max(c.tickMs, tail) };
}

function due(s: PaceState, held: number): boolean {
  // Exempt bytes (header, boost) go out at once: waiting would only delay the player.
  if (s.inFree || held >= s.flushBytes || held >= s.left) return true;
  // Credit up to the start of an exempt range (a moov at the end): nothing more accrues
  // before the free bytes, so waiting for a full write would only delay them.
  if (s.untilFree === 0) return true;
  return (s.age >= s.minAge && held >= s.minWrite) || s.age >= s.maxAge;
}
