import type { ByteRange } from '../types';

/**
 * Which body bytes are exempt from BT (docs/spec.md §5): the media header bytes the response carries,
 * then the boost budget, which is spent on the first non-header bytes. Positions only grow.
 */
export class ExemptCursor {
  private readonly ranges: readonly ByteRange[];
  private idx = 0;
  /** Boost bytes not yet granted. */
  boostLeft: number;

  /** @param ranges body-relative, sorted, disjoint. */
  constructor(ranges: readonly ByteRange[], boostBytes: number) {
    this.ranges = ranges.filter((r) => r.end > r.start).slice().sort((a, b) => a.start - b.start);
    this.boostLeft = Math.max(0, Math.floor(boostBytes));
  }

  /** The run of BT-free bytes starting at `pos`, and whether it is header (else boost). */
  runAt(pos: number): { run: number; header: boolean } {
    while (this.idx < this.ranges.length && (this.ranges[this.idx] as ByteRange).end <= pos) this.idx++;
    const r = this.ranges[this.idx];
    if (r && r.start <= pos) return { run: r.end - pos, header: true };
    if (this.boostLeft > 0) return { run: Math.min(this.boostLeft, r ? r.start - pos : Infinity), header: false };
    return { run: 0, header: false };
  }

  /** Bytes from `pos` to the next BT-free byte (a header range, or boost left); Infinity when none. */
  untilFree(pos: number): number {
    if (this.boostLeft > 0) return 0;
    let i = this.idx;
    while (i < this.ranges.length && (this.ranges[i] as ByteRange).end <= pos) i++;
    const r = this.ranges[i];
    return r ? Math.max(0, r.start - pos) : Infinity;
  }

  /** BT-free bytes available from `pos`, up to `max`, across header and boost runs. */
  freeFrom(pos: number, max: number): number {
    let free = 0;
    let boost = this.boostLeft;
    let p = pos;
    const save = this.idx;
    while (free < max) {
      while (this.idx < this.ranges.length && (this.ranges[this.idx] as ByteRange).end <= p) this.idx++;
      const r = this.ranges[this.idx];
      let run: number;
      if (r && r.start <= p) run = r.end - p;
      else if (boost > 0) {
        run = Math.min(boost, r ? r.start - p : Infinity);
        boost -= Math.min(run, max - free);
      } else break;
      const take = Math.min(run, max - free);
      free += take;
      p += take;
    }
    this.idx = save;
    return free;
  }

  /** Record that `n` BT-free bytes from `pos` were granted (spends boost on non-header bytes). */
  consume(pos: number, n: number): void {
    let p = pos;
    let left = n;
    while (left > 0) {
      const { run, header } = this.runAt(p);
      if (run <= 0) return;
      const take = Math.min(run, left);
      if (!header) this.boostLeft -= take;
      p += take;
      left -= take;
    }
  }
}
