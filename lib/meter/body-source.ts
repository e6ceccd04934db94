import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { FilePool } from './file-pool';

/** Where a metered body's bytes come from, read only as grants allow (bounded read-ahead). */
export interface BodySource {
  /** Up to `max` bytes; null at the end. */
  read(max: number, cb: (err: Error | null, chunk: Buffer | null) => void): void;
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
 * Positional reads in granted-size slices from a shared descriptor: the file stream koa-send
 * made is destroyed before it reads, so no 64 KiB read-ahead buffer per session.
 */
export function fileSource(pool: FilePool, path: string, start: number, end: number): BodySource {
  let pos = start;
  let done = false;
  const fdp = pool.acquire(path);
  fdp.catch(() => {});
  return {
    read(max, cb) {
      const n = Math.min(max, end - pos);
      if (done || n <= 0) return cb(null, null);
      fdp.then(
        (fd) => {
          if (done) return cb(null, null);
          const buf = Buffer.allocUnsafe(n);
          fs.read(fd, buf, 0, n, pos, (err, got) => {
            if (err) return cb(err, null);
            if (got === 0) return cb(null, null);
            pos += got;
            cb(null, got === n ? buf : buf.subarray(0, got));
          });
        },
        (err: Error) => cb(err, null),
      );
    },
    destroy() {
      if (done) return;
      done = true;
      pool.release(path);
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
