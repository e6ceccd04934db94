import { m3u8Table, parseM3u8 } from './parse-m3u8';
import { parseMpd } from './parse-mpd';
import { mpdTable } from './mpd-table';
import type { SegmentTable } from './segment-entry';

const EMPTY: SegmentTable = Object.freeze({ find: () => null, size: 0 });

/**
 * The segment table of a playlist's text at `base` (its URL path or file path): HLS when
 * the text starts with `#EXTM3U`, DASH when it holds an `<MPD`, else empty. Never throws.
 *
 * @example
 * ```ts
 * playlistTable(text, '/hls/low/index.m3u8').find('/hls/low/seg_001.ts'); // { kind: 'media', duration: 2, seq: 1 }
 * ```
 */
export function playlistTable(text: string, base: string): SegmentTable {
  const hls = parseM3u8(text);
  if (hls) return m3u8Table(hls, base);
  const dash = parseMpd(text);
  return dash ? mpdTable(dash, base) : EMPTY;
}
