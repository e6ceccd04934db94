import fs from 'node:fs/promises';
import { OptionError } from '../errors';
import type { MediaInfo } from '../types';
import { MAX_READ, type ByteReader } from './byte-reader';
import { ProbeCache } from './probe-cache';
import { assertRegular, openRegular } from './regular-file';
import { boundHeader, checkProbeOptions, probeMedia, type ProbeOptions } from './probe-media';

/** The cache `probeFile` uses unless told otherwise. */
export const defaultProbeCache = new ProbeCache();

export interface ProbeFileOptions extends ProbeOptions {
  /** Where results are kept by (path, size, mtime); `false` probes every time. Default: a shared 1000-entry cache. */
  cache?: ProbeCache | false;
}

/**
 * Probe a media file on disk (docs/spec.md §4): the header byte ranges to send unthrottled, the
 * encoding rate and the duration. Reads are positional and few, so a multi-GB file probes
 * in milliseconds; the file handle is always closed. Results are cached by (path, size, mtime).
 *
 * Malformed media never throws: it gives `bitrate: null` and no header. Only I/O errors on
 * opening the file (`ENOENT`, `EACCES`, …) reject, and anything but a regular file (code
 * `ENOTREG`: a FIFO, a device), which is never opened in a way that could block.
 *
 * @example
 * ```ts
 * const info = await probeFile('/srv/vod/movie.mp4');
 * // { container: 'mp4', header: [{ start: 0, end: 48213 }], headerBytes: 48213, bitrate: 1203311.5, duration: 600.2 }
 * ```
 */
export async function probeFile(path: string, options: ProbeFileOptions = {}): Promise<MediaInfo> {
  checkProbeOptions(options);
  const { cache = defaultProbeCache, kind, maxHeaderBytes } = options;
  if (cache !== false && !(cache instanceof ProbeCache)) throw new OptionError('cache', 'a ProbeCache or false', cache);
  // stat first, so a cache hit costs no file descriptor, and anything but a regular file (a
  // FIFO named *.mp4, a device) is refused before an open could wait on it.
  const stat = await fs.stat(path);
  assertRegular(path, stat);
  const probe = () => probeOpen(path, kind);
  const media = cache ? await cache.get(ProbeCache.key(`${kind ?? '*'}:${path}`, stat.size, stat.mtimeMs), probe) : await probe();
  return boundHeader(media, maxHeaderBytes);
}

async function probeOpen(path: string, kind: ProbeOptions['kind']): Promise<MediaInfo> {
  const handle = await openRegular(path);
  try {
    // The size of what is open, not of what was stat'ed: the file may have changed in between.
    const { size } = await handle.stat();
    return await probeMedia(fileReader(handle, size), kind);
  } finally {
    await handle.close();
  }
}

/** A {@link ByteReader} on an open file: positional reads, each at most {@link MAX_READ} bytes. */
export function fileReader(handle: fs.FileHandle, size: number): ByteReader {
  return {
    size,
    async read(offset, length) {
      const len = Math.max(0, Math.min(length, MAX_READ, size - offset));
      if (len === 0 || offset < 0) return Buffer.alloc(0);
      const buffer = Buffer.allocUnsafe(len);
      const { bytesRead } = await handle.read(buffer, 0, len, offset);
      return buffer.subarray(0, bytesRead);
    },
  };
}
