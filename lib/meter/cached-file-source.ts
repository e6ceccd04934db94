import fs from 'node:fs';
import { BLOCK_SIZE, FileChangedError, type Block, type BlockCache } from './block-cache';
import type { BodySource, Pin, ReadCallback } from './body-source';
import type { CachedFile } from './cached-file';

/**
 * When the cache steps aside, a flow reads this much at a time for itself: larger, rarer
 * reads than its writes (two 32 KiB writes of a 64 kbps flow per read), bounded per flow.
 */
export const OWN_READ = 64 * 1024;

/**
 * A file body read through the shared block cache: a grant inside one block is a slice of
 * that block (no copy, no read when cached; the slice pins the block until the socket has
 * taken it), a grant across two blocks is copied from both. When the cache will not take a
 * block (cache-policy.ts), the flow reads `OWN_READ` bytes ahead for itself from the same
 * shared descriptor.
 */
export function cachedFileSource(cache: BlockCache, path: string, start: number, end: number): BodySource {
  let pos = start;
  let file: CachedFile | null = null;
  let failed: Error | null = null;
  let done = false;
  let ahead: Buffer | null = null;
  let queued: { max: number; cb: ReadCallback } | null = null;
  let opening = true;
  // The buffer of this flow's own reads, reused once nothing holds a slice of it: at 64 kbps a
  // fresh 64 KiB buffer per read made the collector the largest cost of the cold-file case.
  let ownBuf: Buffer | null = null;
  let ownHeld = 0;
  let ownKept = false;
  const ownPin: Pin = {
    pin: () => void ownHeld++,
    unpin: () => void ownHeld--,
    hold: () => void (ownKept = true),
  };

  cache.open(path, (err, f) => {
    opening = false;
    if (done) {
      if (f) cache.release(f);
      return;
    }
    if (err) failed = err;
    else file = f;
    const q = queued;
    queued = null;
    if (q) source.read(q.max, q.cb);
  });

  const limit = (f: CachedFile): number => Math.min(end, f.id.size);

  /**
   * This flow's own buffer, at least `n` bytes: the last one again once nothing holds a slice
   * of it (the socket took the write, no stream keeps it), else a new one of OWN_READ or more.
   */
  const scratch = (n: number): Buffer => {
    const reuse = ownBuf !== null && ownHeld === 0 && !ownKept && ownBuf.length >= n;
    const buf = reuse ? (ownBuf as Buffer) : Buffer.allocUnsafe(Math.max(n, OWN_READ));
    ownBuf = buf;
    ownHeld = 0;
    ownKept = false;
    return buf;
  };

  /** Reads for this flow alone: what is left of the read-ahead plus one fresh read. */
  const own = (f: CachedFile, n: number, cb: ReadCallback): void => {
    const head = ahead;
    ahead = null;
    const have = head ? head.length : 0;
    const at = pos + have;
    // Fill the buffer to OWN_READ (or to the grant, if larger), the read-ahead's tail
    // included: a read of OWN_READ on top of the tail needed a larger buffer every time, so
    // the buffer was never reused.
    const size = Math.min(limit(f) - at, Math.max(n, OWN_READ) - have);
    if (size <= 0) {
      pos += have;
      return cb(null, have > 0 ? head : null);
    }
    const buf = scratch(have + size);
    // The read-ahead's tail may sit at the end of this same buffer: copy works on overlaps.
    if (head) head.copy(buf, 0);
    f.inflight++;
    fs.read(f.fd, buf, have, size, at, (err, got) => {
      f.inflight--;
      if (f.closing && f.inflight === 0) f.close();
      if (done) return cb(null, null);
      if (err) return cb(err, null);
      // Fewer bytes than the file's size promised: it was cut short under the download.
      if (got < size) return cb(new FileChangedError(f.path), null);
      const data = buf.subarray(0, have + got);
      const k = Math.min(n, data.length);
      ahead = data.length > k ? data.subarray(k) : null;
      pos += k;
      cb(null, data.subarray(0, k), ownPin);
    });
  };

  const fromBlock = (f: CachedFile, n: number, cb: ReadCallback): void => {
    const index = Math.floor(pos / BLOCK_SIZE);
    const off = pos - index * BLOCK_SIZE;
    const first = Math.min(n, BLOCK_SIZE - off);
    const onFirst = (err: Error | null, a: Block | null): void => {
      if (done) return cb(null, null);
      if (err || !a?.data) return cb(err ?? new FileChangedError(f.path), null);
      if (first === n) {
        pos += n;
        cache.served(a, n);
        return cb(null, a.data.subarray(off, off + n), a);
      }
      // Across a block boundary: both halves in one buffer, so the grant goes out whole. The
      // first block stays pinned while the second loads, so eviction cannot recycle it.
      a.pin();
      const took = cache.block(f, index + 1, (err2, b) => {
        a.unpin();
        if (done) return cb(null, null);
        if (err2 || !b?.data || !a.data) return cb(err2 ?? new FileChangedError(f.path), null);
        // Into the flow's own buffer (no read-ahead is pending here: `read` serves that first).
        const out = scratch(n).subarray(0, n);
        a.data.copy(out, 0, off, off + first);
        b.data.copy(out, first, 0, n - first);
        cache.served(a, first);
        cache.served(b, n - first);
        pos += n;
        cb(null, out, ownPin);
      }, true);
      if (!took) {
        a.unpin();
        own(f, n, cb);
      }
    };
    if (!cache.block(f, index, onFirst)) own(f, n, cb);
  };

  const source: BodySource = {
    read(max, cb) {
      if (done) return cb(null, null);
      if (opening) {
        queued = { max, cb };
        return;
      }
      if (failed || !file) return cb(failed ?? new FileChangedError(path), null);
      const f = file;
      const n = Math.min(max, limit(f) - pos);
      if (n <= 0) {
        // The file is shorter than the response promised: it was cut under the download.
        return pos < end && Number.isFinite(end) ? cb(new FileChangedError(path), null) : cb(null, null);
      }
      if (ahead) {
        if (ahead.length >= n) {
          const chunk = ahead.subarray(0, n);
          ahead = ahead.length > n ? ahead.subarray(n) : null;
          pos += n;
          return cb(null, chunk, ownPin);
        }
        return own(f, n, cb);
      }
      fromBlock(f, n, cb);
    },
    destroy() {
      if (done) return;
      done = true;
      ahead = null;
      queued = null;
      if (file) cache.release(file);
    },
  };
  return source;
}
