import { OptionError } from '../errors';
import type { MediaInfo } from '../types';
import type { ByteReader } from './byte-reader';
import type { MediaKind } from './media-kind';
import { parseMp3 } from './parse-mp3';
import { looksLikeMp4, parseMp4 } from './parse-mp4';

/** The default bound above which a header is throttled like the rest (docs/spec.md §4). */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024 * 1024;

export interface ProbeOptions {
  /** Headers larger than this are not exempt (`header: []`); the rate still counts. Default 16 MiB. */
  maxHeaderBytes?: number;
  /**
   * The container the URL names (from {@link mediaKind}). Given, only that parser runs and a
   * parse failure still reports the container; absent, the content is sniffed.
   */
  kind?: MediaKind | null;
}

/** A probe result that recognised nothing useful. */
export function unknownMedia(container: MediaInfo['container']): MediaInfo {
  return { container, header: [], headerBytes: 0, bitrate: null, duration: null };
}

/**
 * The pure probe over any {@link ByteReader}: header ranges, encoding rate and duration,
 * before the header bound is applied. Never throws: malformed input, a failing reader and
 * anything unexpected give "unknown" (docs/spec.md §4).
 */
export async function probeMedia(reader: ByteReader, kind?: MediaKind | null): Promise<MediaInfo> {
  let container: MediaInfo['container'] = kind ?? null;
  try {
    if (kind !== 'mp3' && (kind === 'mp4' || (await looksLikeMp4(reader)))) {
      container = 'mp4';
      const mp4 = await parseMp4(reader);
      return info('mp4', mp4.header, mp4.bitrate, mp4.duration);
    }
    const mp3 = await parseMp3(reader, kind !== 'mp3');
    if (!mp3) return unknownMedia(container);
    container = 'mp3';
    return info('mp3', mp3.header, mp3.bitrate, mp3.duration);
  } catch {
    return unknownMedia(container);
  }
}

function info(container: 'mp4' | 'mp3', header: MediaInfo['header'], bitrate: number | null, duration: number | null): MediaInfo {
  const headerBytes = header.reduce((sum, r) => sum + r.end - r.start, 0);
  const finite = (x: number | null): number | null => (x !== null && Number.isFinite(x) && x > 0 ? x : null);
  return { container, header, headerBytes, bitrate: finite(bitrate), duration: finite(duration) };
}

/** Validates probe options once, at the API edge; throws {@link OptionError}. */
export function checkProbeOptions(options: ProbeOptions): void {
  const { maxHeaderBytes, kind } = options;
  if (maxHeaderBytes !== undefined && !(typeof maxHeaderBytes === 'number' && maxHeaderBytes >= 0)) {
    throw new OptionError('maxHeaderBytes', 'a number ≥ 0 (bytes; Infinity for no bound)', maxHeaderBytes);
  }
  if (kind !== undefined && kind !== null && kind !== 'mp4' && kind !== 'mp3') throw new OptionError('kind', "'mp4', 'mp3' or null", kind);
}

/** `media` with its header dropped when larger than `maxHeaderBytes` (docs/spec.md §4: then throttled like the rest). */
export function boundHeader(media: MediaInfo, maxHeaderBytes: number = DEFAULT_MAX_HEADER_BYTES): MediaInfo {
  if (media.headerBytes <= maxHeaderBytes) return media;
  return { ...media, header: [], headerBytes: 0 };
}
