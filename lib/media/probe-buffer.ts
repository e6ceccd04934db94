import type { MediaInfo } from '../types';
import { bufferReader } from './byte-reader';
import { boundHeader, probeMedia, type ProbeOptions } from './probe-media';

/**
 * Probe a body that has no path from a bounded prefix of it (SPEC §4). `fileSize` is the
 * whole body's length (Content-Length), so the rate counts every byte; what lies beyond the
 * prefix is unknown, so a `moov` after `mdat` or an ID3v1 trailer cannot be seen. Never throws.
 *
 * @example
 * ```ts
 * const info = await probeBuffer(firstChunk, Number(ctx.response.length));
 * ```
 */
export function probeBuffer(prefix: Buffer, fileSize: number, options: ProbeOptions = {}): Promise<MediaInfo> {
  const size = Number.isFinite(fileSize) && fileSize >= prefix.length ? fileSize : prefix.length;
  return probeMedia(bufferReader(prefix, size), options.kind).then((media) => boundHeader(media, options.maxHeaderBytes));
}
