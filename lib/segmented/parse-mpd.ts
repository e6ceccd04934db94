import { MAX_PLAYLIST_BYTES } from './segment-entry';

/** One run of a `SegmentTimeline`: `count` segments of `d` timescale units from time `t`, numbered from `number`. */
export interface TimelineRun {
  t: number;
  d: number;
  count: number;
  number: number;
}

/** A DASH Representation's `SegmentTemplate` (ISO/IEC 23009-1 §5.3.9.4), with inherited attributes merged. */
export interface MpdTrack {
  representationId: string;
  /** `@bandwidth`, bit/s; null when absent. */
  bandwidth: number | null;
  media: string | null;
  initialization: string | null;
  startNumber: number;
  timescale: number;
  /** `SegmentTemplate@duration` in timescale units; null when absent. */
  duration: number | null;
  timeline: TimelineRun[];
}

/** The most Representations and timeline runs kept from one MPD. */
export const MAX_MPD_TRACKS = 256;
export const MAX_TIMELINE_RUNS = 10_000;
/** The most segments one `r` may repeat: a bigger value is clamped. */
const MAX_REPEAT = 1_000_000_000;

type Attrs = Record<string, string>;
interface TemplateAttrs {
  attrs: Attrs;
  timeline: TimelineRun[] | null;
}

/**
 * The `SegmentTemplate`s of a DASH MPD, one per Representation. A small tag scanner, not a
 * full XML parser: it reads only the elements it needs, never recurses, and each step moves
 * forward, so any input is read in linear time. Text past {@link MAX_PLAYLIST_BYTES} is
 * ignored. Never throws; text with no `<MPD` gives null. `SegmentBase` and `SegmentList`
 * are not read (their segments fall back to the rule's rate, docs/segmented.md).
 *
 * @example
 * ```ts
 * parseMpd(xml)[0]; // { representationId: '0', media: 'chunk-$RepresentationID$-$Number%05d$.m4s', timescale: 15360, timeline: [...] , ... }
 * ```
 */
export function parseMpd(source: string): MpdTrack[] | null {
  const text = source.length > MAX_PLAYLIST_BYTES ? source.slice(0, MAX_PLAYLIST_BYTES) : source;
  if (!text.includes('<MPD')) return null;
  const tracks: MpdTrack[] = [];
  let mpdDuration: number | null = null;
  let setTemplate: TemplateAttrs | null = null;
  let rep: { attrs: Attrs; template: TemplateAttrs | null } | null = null;
  let current: TemplateAttrs | null = null; // the SegmentTemplate whose timeline is open

  const emit = (): void => {
    if (rep === null || tracks.length >= MAX_MPD_TRACKS) return;
    const merged: Attrs = { ...(setTemplate?.attrs ?? {}), ...(rep.template?.attrs ?? {}) };
    const timeline = rep.template?.timeline ?? setTemplate?.timeline ?? [];
    if (merged.media === undefined && merged.initialization === undefined) return;
    tracks.push(track(rep.attrs, merged, timeline, mpdDuration));
  };

  let at = 0;
  while (at < text.length) {
    const lt = text.indexOf('<', at);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const close = text.indexOf('-->', lt + 4);
      if (close < 0) break;
      at = close + 3;
      continue;
    }
    const gt = text.indexOf('>', lt + 1);
    if (gt < 0) break;
    at = gt + 1;
    const body = text.slice(lt + 1, gt);
    const closing = body.startsWith('/');
    const selfClosing = body.endsWith('/');
    const name = /^\/?\s*(?:[\w.-]+:)?([\w.-]+)/.exec(body.slice(0, 128))?.[1];
    if (name === undefined) continue;
    if (closing) {
      if (name === 'Representation') {
        emit();
        rep = null;
      } else if (name === 'AdaptationSet') setTemplate = null;
      else if (name === 'SegmentTemplate') current = null;
      continue;
    }
    switch (name) {
      case 'MPD':
        mpdDuration = isoDuration(attrsOf(body).mediaPresentationDuration);
        break;
      case 'AdaptationSet':
        setTemplate = null;
        break;
      case 'Representation':
        rep = { attrs: attrsOf(body), template: null };
        if (selfClosing) {
          emit();
          rep = null;
        }
        break;
      case 'SegmentTemplate': {
        const t: TemplateAttrs = { attrs: attrsOf(body), timeline: null };
        if (rep) rep.template = t;
        else setTemplate = t;
        current = selfClosing ? null : t;
        break;
      }
      case 'S': {
        if (current === null) break;
        const timeline = (current.timeline ??= []);
        if (timeline.length >= MAX_TIMELINE_RUNS) break;
        const a = attrsOf(body);
        const d = num(a.d);
        if (d === null || d <= 0) break;
        const prev = timeline[timeline.length - 1];
        const t = num(a.t) ?? (prev ? prev.t + prev.d * prev.count : 0);
        // r = -1 repeats to the next S's t (fixed up below) or to the end of the period.
        const r = a.r === undefined ? 0 : Number(a.r);
        if (prev && prev.count < 0) prev.count = Math.max(1, Math.min(MAX_REPEAT, Math.floor((t - prev.t) / prev.d)));
        timeline.push({ t, d, count: r === -1 ? -1 : Number.isInteger(r) && r >= 0 ? Math.min(r, MAX_REPEAT) + 1 : 1, number: 0 });
        break;
      }
      default:
        break;
    }
  }
  return tracks;
}

function track(repAttrs: Attrs, t: Attrs, runs: TimelineRun[], mpdDuration: number | null): MpdTrack {
  const timescale = num(t.timescale) ?? 1;
  const startNumber = num(t.startNumber) ?? 1;
  const timeline: TimelineRun[] = [];
  let number = startNumber;
  for (const r of runs) {
    let count = r.count;
    if (count < 0) count = mpdDuration === null ? 1 : Math.max(1, Math.min(MAX_REPEAT, Math.ceil((mpdDuration * timescale - r.t) / r.d)));
    timeline.push({ t: r.t, d: r.d, count, number });
    number += count;
  }
  const duration = num(t.duration);
  return {
    representationId: repAttrs.id ?? '',
    bandwidth: num(repAttrs.bandwidth),
    media: t.media ?? null,
    initialization: t.initialization ?? null,
    startNumber,
    timescale: timescale > 0 ? timescale : 1,
    duration: duration !== null && duration > 0 ? duration : null,
    timeline,
  };
}

/** `name="value"` pairs of a tag, read in one forward pass (no regex backtracking on hostile input). */
function attrsOf(body: string): Attrs {
  const out: Attrs = Object.create(null) as Attrs;
  let at = 0;
  while (at < body.length) {
    const eq = body.indexOf('=', at);
    if (eq < 0) break;
    const key = body.slice(at, eq).trim().split(/\s/).pop() ?? '';
    let q = eq + 1;
    while (body[q] === ' ' || body[q] === '\t' || body[q] === '\n' || body[q] === '\r') q++;
    const quote = body[q];
    if (quote !== '"' && quote !== "'") {
      at = q;
      continue;
    }
    const close = body.indexOf(quote, q + 1);
    if (close < 0) break;
    if (key !== '' && Object.keys(out).length < 64) out[key.replace(/^.*:/, '')] = body.slice(q + 1, close);
    at = close + 1;
  }
  return out;
}

function num(s: string | undefined): number | null {
  if (s === undefined || !/^\s*\d{1,15}(\.\d+)?\s*$/.test(s)) return null;
  return Number(s);
}

/** An xs:duration of the form `PT1H2M3.5S` (days too), in seconds; null otherwise. */
export function isoDuration(s: string | undefined): number | null {
  const m = s === undefined ? null : /^P(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9}(?:\.\d{1,9})?)S)?)?$/.exec(s.trim());
  if (!m) return null;
  const secs = Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return secs > 0 ? secs : null;
}
