/**
 * Where the media parsers get their bytes (docs/spec.md §4): positional reads of a source whose
 * total size is known. A file handle, a buffered prefix of a stream and a test table all
 * fit behind it, so the parsers stay pure and are tested from byte-built cases.
 */
export interface ByteReader {
  /** Total bytes of the source: the file size, even when only a prefix is readable. */
  readonly size: number;
  /**
   * Up to `length` bytes from `offset`. Fewer only where the readable bytes end; an
   * empty buffer past the end. Parsers never ask for more than {@link MAX_READ} bytes.
   */
  read(offset: number, length: number): Promise<Buffer>;
}

/** The largest single read a parser makes, so no size field from a file ever sizes an allocation. */
export const MAX_READ = 64 * 1024;

/** Thrown inside the parsers for input they cannot make sense of; never escapes the probe. */
export class MalformedMedia extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMedia';
  }
}

/**
 * Exactly `length` bytes at `offset`, or a {@link MalformedMedia} when the source ends first.
 * `length` is clamped to {@link MAX_READ} by contract: callers pass small constants.
 */
export async function readExact(reader: ByteReader, offset: number, length: number): Promise<Buffer> {
  if (length > MAX_READ) throw new MalformedMedia(`read of ${length} bytes exceeds the bound`);
  if (offset < 0 || offset + length > reader.size) throw new MalformedMedia(`read [${offset}, +${length}) is outside the file`);
  const buf = await reader.read(offset, length);
  if (buf.length < length) throw new MalformedMedia(`short read at ${offset}`);
  return buf.length === length ? buf : buf.subarray(0, length);
}

/** Up to `length` bytes at `offset` (fewer at the end), never more than {@link MAX_READ}. */
export async function readUpTo(reader: ByteReader, offset: number, length: number): Promise<Buffer> {
  const len = Math.max(0, Math.min(length, MAX_READ, reader.size - offset));
  if (len === 0) return Buffer.alloc(0);
  const buf = await reader.read(offset, len);
  return buf.length > len ? buf.subarray(0, len) : buf;
}

/**
 * A reader over bytes in memory. `size` may exceed `bytes.length` when `bytes` is only
 * the prefix of a longer stream: reads past the prefix come back short.
 */
export function bufferReader(bytes: Buffer, size: number = bytes.length): ByteReader {
  return {
    size,
    read(offset, length) {
      const start = Math.min(Math.max(0, offset), bytes.length);
      return Promise.resolve(bytes.subarray(start, Math.min(bytes.length, start + Math.max(0, length))));
    },
  };
}
