import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { ConfigError } from '../errors';

/** Far above any real config file; a bigger one is a mistake, not a config. */
export const MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Read one config file as text: null when it does not exist, a ConfigError naming the file
 * (and, for bad bytes, the line and column) when it is not a regular file, is too large, cannot
 * be read, or is not UTF-8. Opened non-blocking and checked with fstat, so a FIFO or a device
 * under a config name never blocks the process.
 * @param full the path to open.
 * @param file the name errors use (relative to the config directory).
 * @param seen called with the {@link fileStamp} of what was read (`missing` when nothing was).
 * @throws ConfigError
 */
export function readConfigFile(full: string, file: string, seen?: (stamp: string) => void): string | null {
  let fd: number;
  try {
    fd = openSync(full, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      seen?.(MISSING);
      return null;
    }
    throw new ConfigError(`cannot read: ${(e as Error).message}`, { file, line: 0, column: 0 });
  }
  let bytes: Buffer;
  try {
    const st = fstatSync(fd);
    seen?.(stampOf(st));
    if (!st.isFile()) throw new ConfigError('not a regular file', { file, line: 0, column: 0 });
    if (st.size > MAX_CONFIG_FILE_BYTES) throw new ConfigError(`too large (${st.size} bytes; at most ${MAX_CONFIG_FILE_BYTES})`, { file, line: 0, column: 0 });
    bytes = readFileSync(fd);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`cannot read: ${(e as Error).message}`, { file, line: 0, column: 0 });
  } finally {
    closeSync(fd);
  }
  return decodeUtf8(bytes, file);
}

const MISSING = 'missing';
const stampOf = (st: Stats): string => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/**
 * What identifies a version of a file: device, inode, size, modification and change times
 * (`missing` when there is none). A write or a rename in its place changes it.
 */
export function fileStamp(full: string): string {
  try {
    return stampOf(statSync(full));
  } catch {
    return MISSING;
  }
}

/**
 * Decode UTF-8 strictly: bytes that are not UTF-8 are a ConfigError at the line and column
 * (in characters) of the first bad byte, never a silent U+FFFD that no host or header matches.
 * @throws ConfigError
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    const bad = firstBadByte(bytes);
    const before = new TextDecoder().decode(bytes.subarray(0, bad));
    const lines = before.split('\n');
    const line = lines.length;
    const column = (lines[lines.length - 1] as string).length + 1;
    throw new ConfigError(`bytes that are not UTF-8 (0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} at byte ${bad}); config files are UTF-8`, { file, line, column });
  }
}

/** The offset of the first byte that starts no valid UTF-8 sequence (RFC 3629 section 4). */
function firstBadByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    let n: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}
