import { MAX_PLAYLIST_BYTES, resolvePath, type SegmentEntry, type SegmentTable } from './segment-entry';

/** A variant of an HLS master playlist. */
export interface HlsVariant {
  uri: string;
  /** `BANDWIDTH`, bit/s; null when absent or not a number. */
  bandwidth: number | null;
}

/** An HLS playlist (RFC 8216): a master lists variants, a media playlist lists segments. */
export type M3u8 =
  | { type: 'master'; variants: HlsVariant[] }
  | { type: 'media'; mediaSequence: number; init: string[]; segments: { uri: string; duration: number | null; seq: number }[] };

/** The most segments kept from one playlist; the rest of a longer one is ignored. */
export const MAX_HLS_SEGMENTS = 50_000;

/**
 * Parse an HLS playlist (RFC 8216 §4). Never throws: text that does not start with
 * `#EXTM3U` gives null, unknown tags are skipped, a bad `#EXTINF` gives a segment of unknown
 * duration. Reads at most {@link MAX_PLAYLIST_BYTES} of text and keeps at most
 * {@link MAX_HLS_SEGMENTS} segments, so nothing in the file sizes an allocation.
 *
 * @example
 * ```ts
 * parseM3u8('#EXTM3U\n#EXTINF:2.0,\nseg_000.ts\n');
 * // { type: 'media', mediaSequence: 0, init: [], segments: [{ uri: 'seg_000.ts', duration: 2, seq: 0 }] }
 * ```
 */
export function parseM3u8(source: string): M3u8 | null {
  const text = source.length > MAX_PLAYLIST_BYTES ? source.slice(0, MAX_PLAYLIST_BYTES) : source;
  if (!text.replace(/^\uFEFF/, '').startsWith('#EXTM3U')) return null;
  const variants: HlsVariant[] = [];
  const init: string[] = [];
  const segments: { uri: string; duration: number | null; seq: number }[] = [];
  let mediaSequence = 0;
  let duration: number | null | undefined = undefined;
  let variant: number | null | undefined = undefined;
  let at = 0;
  while (at < text.length && segments.length < MAX_HLS_SEGMENTS) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const line = text.slice(at, end).trim();
    at = end + 1;
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#EXTINF:')) duration = positive(line.slice(8, indexOrEnd(line, ',')));
      else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = count(line.slice(22)) ?? 0;
      else if (line.startsWith('#EXT-X-MAP:')) {
        const uri = attribute(line.slice(11), 'URI');
        if (uri !== null && uri !== '' && init.length < 64) init.push(uri);
      } else if (line.startsWith('#EXT-X-STREAM-INF:')) {
        const b = attribute(line.slice(18), 'BANDWIDTH');
        variant = b === null ? null : count(b);
      }
      continue;
    }
    if (variant !== undefined) {
      if (variants.length < 1000) variants.push({ uri: line, bandwidth: variant });
      variant = undefined;
    } else if (duration !== undefined) {
      segments.push({ uri: line, duration, seq: mediaSequence + segments.length });
      duration = undefined;
    }
  }
  if (variants.length > 0 && segments.length === 0) return { type: 'master', variants };
  return { type: 'media', mediaSequence, init, segments };
}

/**
 * The segment table of a media playlist at `base` (its URL path, or its file path).
 * A master playlist lists no segments: its table is empty.
 */
export function m3u8Table(playlist: M3u8, base: string): SegmentTable {
  const entries = new Map<string, SegmentEntry>();
  if (playlist.type === 'media') {
    for (const uri of playlist.init) {
      const p = resolvePath(uri, base);
      if (p !== null) entries.set(p, { kind: 'init' });
    }
    for (const s of playlist.segments) {
      const p = resolvePath(s.uri, base);
      if (p === null) continue;
      const had = entries.get(p);
      // EXT-X-BYTERANGE lists one file many times: its duration is the sum, its seq the first.
      if (had?.kind === 'media') entries.set(p, { kind: 'media', duration: had.duration === null || s.duration === null ? null : had.duration + s.duration, seq: had.seq });
      else if (!had) entries.set(p, { kind: 'media', duration: s.duration, seq: s.seq });
    }
  }
  return { find: (p) => entries.get(p) ?? null, size: entries.size };
}

function indexOrEnd(s: string, c: string): number {
  const i = s.indexOf(c);
  return i < 0 ? s.length : i;
}

function positive(s: string): number | null {
  const t = s.trim();
  const n = t === '' ? NaN : Number(t);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function count(s: string): number | null {
  const t = s.trim();
  if (!/^\d{1,15}$/.test(t)) return null;
  return Number(t);
}

/** The value of `NAME=` in an attribute list (RFC 8216 §4.2), quoted or not. */
function attribute(list: string, name: string): string | null {
  let at = 0;
  while (at < list.length) {
    const eq = list.indexOf('=', at);
    if (eq < 0) return null;
    const key = list.slice(at, eq).trim();
    let value: string;
    let next: number;
    if (list[eq + 1] === '"') {
      const close = list.indexOf('"', eq + 2);
      if (close < 0) return null;
      value = list.slice(eq + 2, close);
      next = list.indexOf(',', close);
    } else {
      next = list.indexOf(',', eq);
      value = list.slice(eq + 1, next < 0 ? list.length : next);
    }
    if (key === name) return value;
    if (next < 0) return null;
    at = next + 1;
  }
  return null;
}
