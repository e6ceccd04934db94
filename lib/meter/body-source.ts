import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { FilePool } from './file-pool';

/**
 * Something a chunk holds a slice of: pinned while a socket write still needs the slice, and
 * `hold()` when a stream keeps it for good (it must then never be reused).
 */
export interface Pin {
  pin(): void;
  unpin(): void;
  hold(): void;
}

/** A read's answer: up to `max` bytes, null at the end; `pin` when the chunk is a slice of a cached block. */
export type ReadCallback = (err: Error | null, chunk: Buffer | null, pin?: Pin) => void;

/** Where a metered body's bytes come from, read only as grants allow (bounded read-ahead). */
export interface BodySource {
  /** Up to `max` bytes; null at the end. */
  read(max: number, cb: ReadCallback): void;
  destroy(): void;
}

export function bufferSource(buf: Buffer): BodySource {
  let pos = 0;
  return {
    read(max, cb) {
      if (pos >= buf.length) return cb(null, null);
      const chunk = buf.subarray(pos, pos + max);
      pos += chunk.length;
      cb(null, chunk);
    },
    destroy() {
      pos = buf.length;
    },
  };
}

/**
 * A grant under 4 KiB reads 8 KiB, so a very slow session costs one read per few writes. Not
 * more: every byte read is a fresh allocation, and read-ahead held by 10,000 sessions is
 * resident memory; a 64 kbps flow's 8 KB writes are read one to one.
 */
const READ_AHEAD_MAX = 8 * 1024;

/**
 * Positional reads in granted-size slices from a shared descriptor: the file stream koa-send
 * made is destroyed before it reads, so no 64 KiB read-ahead buffer per session, and a small
 * grant reads a bounded 8 KiB ahead.
 */
export function fileSource(pool: FilePool, path: string, start: number, end: number): BodySource {
  let pos = start;
  let done = false;
  let fd = -1;
  let ahead: Buffer | null = null;
  let inflight = false;
  const fdp = pool.acquire(path);
  fdp.then(
    (n) => (fd = n),
    () => {},
  );
  // Reads `n` bytes, of which `head` (left over from the read-ahead) are already here: one
  // buffer takes both, so a grant is met in full with one allocation and no concatenation.
  const readAt = (head: Buffer | null, n: number, cb: (err: Error | null, chunk: Buffer | null) => void): void => {
    const have = head ? head.length : 0;
    const want = n - have;
    const size = Math.min(end - pos, want < READ_AHEAD_MAX / 2 ? READ_AHEAD_MAX : want);
    const buf = Buffer.allocUnsafe(have + size);
    if (head) head.copy(buf, 0);
    inflight = true;
    fs.read(fd, buf, have, size, pos, (err, got) => {
      inflight = false;
      // Released only now: closing the fd under a pending read could let it read a reused fd.
      if (done) {
        pool.release(path);
        return cb(null, null);
      }
      if (err) return cb(err, null);
      if (got === 0) return cb(null, head);
      pos += got;
      const total = have + got;
      const data = total === buf.length ? buf : buf.subarray(0, total);
      ahead = data.length > n ? data.subarray(n) : null;
      cb(null, data.subarray(0, n));
    });
  };
  return {
    read(max, cb) {
      if (done) return cb(null, null);
      if (ahead && ahead.length >= max) {
        const chunk = ahead.subarray(0, max);
        ahead = ahead.length > max ? ahead.subarray(max) : null;
        return cb(null, chunk);
      }
      // A grant is met in full: what is left of the read-ahead plus a fresh read. A short
      // write here would leave the rest of the grant waiting a whole write period, which
      // made a slow flow's writes uneven.
      const head = ahead;
      ahead = null;
      if (end - pos <= 0) return cb(null, head);
      if (fd >= 0) return readAt(head, max, cb);
      fdp.then(
        () => (done ? cb(null, null) : readAt(head, max, cb)),
        (err: Error) => cb(err, null),
      );
    },
    destroy() {
      if (done) return;
      done = true;
      ahead = null;
      if (!inflight) pool.release(path);
    },
  };
}

/**
 * Any other readable: taken in paused mode, one buffered chunk at a time, so what we hold is
 * bounded by the source's own highWaterMark plus one chunk.
 */
export function streamSource(src: Readable): BodySource {
  let pending: Buffer | null = null;
  let waiter: { max: number; cb: (err: Error | null, chunk: Buffer | null) => void } | null = null;
  let ended = false;
  let failed: Error | null = null;

  const take = (max: number): Buffer | null => {
    if (!pending || pending.length === 0) {
      const c = src.read() as Buffer | string | null;
      pending = c == null ? null : Buffer.isBuffer(c) ? c : Buffer.from(c);
    }
    if (!pending) return null;
    const out = pending.subarray(0, max);
    pending = pending.length > max ? pending.subarray(max) : null;
    return out;
  };
  const settle = (): void => {
    if (!waiter) return;
    const w = waiter;
    if (failed) {
      waiter = null;
      return w.cb(failed, null);
    }
    const chunk = take(w.max);
    if (chunk) {
      waiter = null;
      return w.cb(null, chunk);
    }
    if (ended) {
      waiter = null;
      w.cb(null, null);
    }
  };
  src.on('readable', settle);
  src.once('end', () => {
    ended = true;
    settle();
  });
  src.once('error', (err) => {
    failed = err;
    settle();
  });
  return {
    read(max, cb) {
      waiter = { max, cb };
      settle();
    },
    destroy() {
      waiter = null;
      pending = null;
      src.destroy();
    },
  };
}
