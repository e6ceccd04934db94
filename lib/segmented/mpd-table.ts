import type { MpdTrack } from './parse-mpd';
import { resolvePath, type SegmentEntry, type SegmentTable } from './segment-entry';

interface Matcher {
  dir: string;
  re: RegExp;
  /** Which capture is `$Number$`, which `$Time$` (0 = absent). */
  numberAt: number;
  timeAt: number;
  track: MpdTrack;
}

/**
 * The segment table of a DASH MPD at `base`. A `SegmentTemplate@media` becomes a pattern
 * over the file name (`chunk-0-(\d+).m4s`), so a request is placed by arithmetic on its
 * `$Number$` or `$Time$`, without listing every segment of a long timeline.
 *
 * @example
 * ```ts
 * mpdTable(parseMpd(xml)!, '/dash/manifest.mpd').find('/dash/chunk-stream0-00003.m4s');
 * // { kind: 'media', duration: 2, seq: 3 }
 * ```
 */
export function mpdTable(tracks: readonly MpdTrack[], base: string): SegmentTable {
  const inits = new Set<string>();
  const matchers: Matcher[] = [];
  for (const t of tracks) {
    if (t.initialization !== null) {
      const p = resolvePath(substitute(t.initialization, t), base);
      if (p !== null && !p.includes('$')) inits.add(p);
    }
    if (t.media !== null) {
      const m = matcher(substitute(t.media, t), base, t);
      if (m) matchers.push(m);
    }
  }
  return {
    size: inits.size + matchers.length,
    find(path) {
      if (inits.has(path)) return { kind: 'init' };
      const slash = path.lastIndexOf('/');
      const dir = path.slice(0, slash + 1);
      const name = path.slice(slash + 1);
      for (const m of matchers) {
        if (m.dir !== dir) continue;
        const hit = m.re.exec(name);
        if (hit) return place(m, hit);
      }
      return null;
    },
  };
}

/** `$RepresentationID$`, `$Bandwidth$` and `$$` filled in; `$Number…$` and `$Time…$` left. */
function substitute(template: string, t: MpdTrack): string {
  return template.replace(/\$(RepresentationID|Bandwidth)\$/g, (_, k: string) => (k === 'Bandwidth' ? String(t.bandwidth ?? '') : t.representationId));
}

function matcher(template: string, base: string, track: MpdTrack): Matcher | null {
  const slash = template.lastIndexOf('/');
  const dirPart = template.slice(0, slash + 1);
  if (dirPart.includes('$')) return null;
  const resolved = resolvePath(`${dirPart}x`, base);
  if (resolved === null) return null;
  let source = '^';
  let numberAt = 0;
  let timeAt = 0;
  let groups = 0;
  const parts = template.slice(slash + 1).split(/(\$(?:Number|Time)(?:%0?\d{0,2}d)?\$|\$\$)/);
  for (const part of parts) {
    if (part === '$$') source += '\\$';
    else if (part.startsWith('$Number')) {
      numberAt = ++groups;
      source += '(\\d{1,15})';
    } else if (part.startsWith('$Time')) {
      timeAt = ++groups;
      source += '(\\d{1,15})';
    } else source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  if (groups === 0) return null;
  return { dir: resolved.slice(0, -1), re: new RegExp(`${source}$`), numberAt, timeAt, track };
}

function place(m: Matcher, hit: RegExpExecArray): SegmentEntry | null {
  const t = m.track;
  const number = m.numberAt ? Number(hit[m.numberAt]) : null;
  const time = m.timeAt ? Number(hit[m.timeAt]) : null;
  if (t.timeline.length > 0) {
    for (const r of t.timeline) {
      if (number !== null && number >= r.number && number < r.number + r.count) return media(r.d / t.timescale, number);
      if (time !== null && time >= r.t && time < r.t + r.d * r.count && (time - r.t) % r.d === 0) return media(r.d / t.timescale, r.number + (time - r.t) / r.d);
    }
    return null;
  }
  if (t.duration === null) return number === null ? null : media(null, number);
  if (number !== null) return media(t.duration / t.timescale, number);
  if (time !== null && time % t.duration === 0) return media(t.duration / t.timescale, t.startNumber + time / t.duration);
  return null;
}

function media(duration: number | null, seq: number): SegmentEntry {
  return { kind: 'media', duration: duration !== null && Number.isFinite(duration) && duration > 0 ? duration : null, seq };
}
