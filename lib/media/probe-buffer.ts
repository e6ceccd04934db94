import type { MediaInfo } from '../types';
import { bufferReader } from './byte-reader';
import { boundHeader, checkProbeOptions, probeMedia, type ProbeOptions } from './probe-media';

/**
 * Probe a body that has no path from a bounded prefix of it (docs/spec.md §4). `fileSize` is the
 * whole body's length (Content-Length), so the rate counts every byte; what lies beyond the
 * prefix cannot be seen, so a `moov` after `mdat` gives "unknown" and a trailing tag counts
 * as payload. Malformed media never rejects; bad options reject with an `OptionError`.
 *
 * @example
 * ```ts
 * const info = await probeBuffer(firstChunk, Number(ctx.response.length), { kind: mediaKind(ctx.path) });
 * ```
 */
export async function probeBuffer(prefix: Buffer, fileSize: number, options: ProbeOptions = {}): Promise<MediaInfo> {
  checkProbeOptions(options);
  const size = Number.isFinite(fileSize) && fileSize >= prefix.length ? fileSize : prefix.length;
  return boundHeader(await probeMedia(bufferReader(prefix, size), options.kind), options.maxHeaderBytes);
}
