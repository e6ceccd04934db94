import { OptionError } from '../errors';

/** One viewer's place in its media: where its boost started and how much of it is spent. */
interface Viewer {
  /** Sequence number of the newest media segment counted. */
  lastSeq: number;
  /** Seconds of media counted since the boost started. */
  used: number;
  /** Segments up to this number were wholly boost; the next one may be partly. */
  fullThrough: number;
  partialSeq: number;
  partial: number;
  lastSeen: number;
  /** The newest number paced, when its first request started pacing, and when the last paced byte of the viewer is due (ms). */
  pacedSeq: number;
  pacedStart: number;
  pacedDue: number;
}

/**
 * How far behind the newest segment a request may be and still not count as a seek: a
 * player that fetches several tracks or renditions at once (ffmpeg reads every variant of a
 * master playlist in parallel, DASH players fetch audio beside video) asks for numbers a
 * little out of step.
 */
export const OUT_OF_STEP = 3;

export interface ViewerTableOptions {
  /** A viewer not seen for this long is forgotten, ms. Default 60,000. */
  idleMs?: number;
  /** The most viewers remembered; the least recently seen go first. Default 100,000. */
  max?: number;
  /** Milliseconds, monotonic. Default `performance.now`. */
  clock?: () => number;
}

/** About what one remembered viewer costs in heap (key, state, map entry); measured in test/segmented/viewer-memory.test.ts. */
export const BYTES_PER_VIEWER = 400;

/**
 * Per-viewer boost in seconds of media (docs/segmented.md). A viewer's first `boost`
 * seconds of segments go unthrottled; a segment that does not follow the previous one (a
 * seek) starts a new boost. A number already counted, or up to {@link OUT_OF_STEP} behind
 * the newest (another rendition after an ABR switch, the audio track beside the video, a
 * player reading variants in parallel), gets what that number got, and counts once.
 *
 * Memory is bounded by `max` entries, and a viewer quiet for `idleMs` is dropped: on every
 * call the oldest entries are swept, and an unref'd timer sweeps while any are held.
 *
 * @example
 * ```ts
 * const viewers = new ViewerTable();
 * viewers.boosted('www\nabc', 0, 2, 4); // 1: all of segment 0 is boost
 * viewers.boosted('www\nabc', 1, 2, 4); // 1
 * viewers.boosted('www\nabc', 2, 2, 4); // 0: paced
 * ```
 */
export class ViewerTable {
  readonly idleMs: number;
  readonly max: number;
  private readonly clock: () => number;
  private readonly viewers = new Map<string, Viewer>();
  private timer: NodeJS.Timeout | null = null;

  constructor(options: ViewerTableOptions = {}) {
    this.idleMs = options.idleMs ?? 60_000;
    this.max = options.max ?? 100_000;
    if (!(typeof this.idleMs === 'number' && this.idleMs > 0 && this.idleMs <= 86_400_000)) throw new OptionError('segmented.idleSeconds', 'a number of seconds in (0, 86400]', this.idleMs / 1000);
    if (!Number.isInteger(this.max) || this.max < 1) throw new OptionError('segmented.maxViewers', 'an integer ≥ 1', this.max);
    this.clock = options.clock ?? (() => performance.now());
  }

  get size(): number {
    return this.viewers.size;
  }

  /**
   * The fraction of a media segment (0…1, from its start) that falls inside the viewer's
   * boost, and count the segment. `seq` null (not in any playlist) follows the previous one.
   */
  boosted(key: string, seq: number | null, duration: number, boostSeconds: number): number {
    const now = this.clock();
    this.sweep(now);
    let v = this.viewers.get(key);
    if (v) this.viewers.delete(key); // re-insert: the map's order is least recently seen first
    const s = seq ?? (v ? v.lastSeq + 1 : 0);
    let fraction: number;
    if (v && s <= v.lastSeq && s >= v.lastSeq - OUT_OF_STEP) {
      // A segment already counted, or one a little behind it: what it got (or would have), counted once.
      fraction = s <= v.fullThrough ? 1 : s === v.partialSeq ? v.partial : 0;
    } else {
      // The next segment, or a seek (anything else), which starts a new boost.
      if (!v || s !== v.lastSeq + 1) v = { lastSeq: s - 1, used: 0, fullThrough: s - 1, partialSeq: -1, partial: 0, lastSeen: now, pacedSeq: -Infinity, pacedStart: now, pacedDue: now };
      const before = v.used;
      v.used = before + duration;
      v.lastSeq = s;
      fraction = duration > 0 ? Math.min(1, Math.max(0, (boostSeconds - before) / duration)) : boostSeconds > before ? 1 : 0;
      if (fraction === 1) v.fullThrough = s;
      else if (fraction > 0) {
        v.partialSeq = s;
        v.partial = fraction;
      }
    }
    v.lastSeen = now;
    this.viewers.set(key, v);
    while (this.viewers.size > this.max) this.viewers.delete(this.viewers.keys().next().value as string);
    this.arm();
    return fraction;
  }

  /**
   * How long the paced part of a segment should take, in seconds, so that a viewer's
   * segments follow one another (docs/segmented.md): `seconds` (its own pace) when the
   * viewer has nothing else due, longer when the segment was asked for before the previous
   * number is due (a player that fetches ahead, ffmpeg's parallel reads). Segments of the same
   * number (the audio beside the video, another rendition) are paced side by side. Call after
   * {@link boosted} for the same segment.
   */
  spread(key: string, seq: number | null, seconds: number): number {
    const v = this.viewers.get(key);
    if (!v || !(seconds >= 0)) return seconds;
    const now = this.clock();
    const s = seq ?? v.lastSeq;
    let start: number;
    if (s === v.pacedSeq) start = v.pacedStart;
    else if (s > v.pacedSeq) {
      start = Math.max(now, v.pacedDue);
      v.pacedSeq = s;
      v.pacedStart = start;
    } else return seconds; // a number behind the newest: out of step, paced on its own
    const due = Math.max(start, now) + seconds * 1000;
    v.pacedDue = Math.max(v.pacedDue, due);
    return (due - now) / 1000;
  }

  /** Forget viewers idle for `idleMs` (the oldest first; stops at the first fresh one). */
  sweep(now: number = this.clock()): void {
    for (const [key, v] of this.viewers) {
      if (now - v.lastSeen < this.idleMs) break;
      this.viewers.delete(key);
    }
    if (this.viewers.size === 0) this.disarm();
  }

  close(): void {
    this.viewers.clear();
    this.disarm();
  }

  private arm(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.sweep(), Math.max(1000, this.idleMs / 4));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
