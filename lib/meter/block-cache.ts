import fs from 'node:fs';
import { CachedFile, sameIdentity, type FileIdentity } from './cached-file';
import { CachePolicy } from './cache-policy';

/** Cache blocks are this large and aligned to it in the file. */
export const BLOCK_SIZE = 256 * 1024;

/** The default bound on the bytes of cached blocks (`blockCacheBytes`). */
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** Evicted block buffers kept for reuse. */
const SPARE_MAX = 16;

/** How often a block load whose result changed under it is tried again before giving up. */
const LOAD_TRIES = 3;

/** A file that changed under a download so that the bytes it promised are gone. */
export class FileChangedError extends Error {
  readonly code = 'ERR_FILE_CHANGED';
  constructor(path: string) {
    super(`${path} changed size under the download`);
  }
}

type BlockWaiter = (err: Error | null, block: Block | null) => void;

/**
 * A `BLOCK_SIZE`-aligned slice of one file, shared by every flow that reads it. `pins` counts
 * the socket writes still holding a slice of it: eviction skips a pinned block.
 */
export class Block {
  data: Buffer | null = null;
  pins = 0;
  /** Touched since the clock hand last passed (second-chance eviction). */
  used = true;
  /** Bytes served from it: what the cache policy learns reuse from. */
  served = 0;
  waiters: BlockWaiter[] | null = [];
  constructor(
    readonly file: CachedFile,
    readonly index: number,
    readonly length: number,
  ) {}

  pin(): void {
    this.pins++;
  }

  unpin(): void {
    this.pins--;
  }

  /** A stream keeps a slice for good: this block's memory is never recycled for another. */
  hold(): void {
    this.held = true;
  }

  /** See hold. */
  held = false;
}

export interface BlockCacheOptions {
  /** Bytes of blocks held at most; 0 turns the cache off (every flow reads for itself). */
  maxBytes: number;
}

/**
 * The shared block cache for metered file bodies. Files are keyed by identity (device, inode,
 * size, mtime): one descriptor per identity while any flow reads it, closed with the last.
 * A block missing from the cache is read once, with every flow that needs it waiting behind
 * that read. Memory is bounded by `maxBytes`; eviction is second-chance (CLOCK) and never
 * drops a pinned or loading block. When blocks are evicted before they are reused
 * (cache-policy.ts), `admit` says no and flows read for themselves.
 *
 * A block is checked against the file's identity after it is read (fstat): a file rewritten
 * in place during the read is read again, so a block never mixes two versions, and a file cut
 * short fails the flows that need the missing bytes (docs/metering.md, "Files that change").
 */
export class BlockCache {
  readonly files = new Map<string, CachedFile>();
  /** Every block, in clock order. */
  private readonly ring = new Set<Block>();
  private bytes = 0;
  /**
   * Buffers of evicted blocks that nothing holds, for the next loads: a fresh 256 KiB buffer per
   * load is external memory that makes the collector run.
   */
  private readonly spare: Buffer[] = [];
  readonly policy = new CachePolicy();
  hits = 0;
  misses = 0;
  loads = 0;

  constructor(private readonly o: BlockCacheOptions) {}

  get cachedBytes(): number {
    return this.bytes;
  }

  /** Descriptors open. */
  get openFiles(): number {
    return this.files.size + this.retiredOpen;
  }

  private retiredOpen = 0;

  /** The file at `path` as it is now: shared with every flow on the same identity. */
  open(path: string, cb: (err: Error | null, file: CachedFile | null) => void): void {
    fs.stat(path, (err, st) => {
      if (err) return cb(err, null);
      const shared = this.files.get(keyOf(st));
      if (shared && !shared.retired) {
        shared.refs++;
        return cb(null, shared);
      }
      fs.open(path, 'r', (err2, fd) => {
        if (err2) return cb(err2, null);
        fs.fstat(fd, (err3, fst) => {
          if (err3) {
            fs.close(fd, () => {});
            return cb(err3, null);
          }
          // Replaced between the stat and the open: the descriptor's identity is what we read.
          const key = keyOf(fst);
          const again = this.files.get(key);
          if (again && !again.retired) {
            fs.close(fd, () => {});
            again.refs++;
            return cb(null, again);
          }
          const file = new CachedFile(path, fd, identityOf(fst), key);
          file.refs = 1;
          this.files.set(key, file);
          cb(null, file);
        });
      });
    });
  }

  /** A flow is done with the file: the descriptor closes with the last flow and its last read. */
  release(file: CachedFile): void {
    if (--file.refs > 0) return;
    this.dropBlocks(file);
    if (this.files.get(file.key) === file) this.files.delete(file.key);
    else if (file.retired) this.retiredOpen--;
    file.closing = true;
    if (file.inflight === 0) file.close();
  }

  /** Whether a miss should load the block (the policy's answer; off when maxBytes is 0). */
  admit(): boolean {
    return this.o.maxBytes > 0 && this.policy.admit();
  }

  /** The block, if cached and loaded (a hit). */
  peek(file: CachedFile, index: number): Block | null {
    const b = file.blocks.get(index);
    if (!b || !b.data) return null;
    b.used = true;
    this.hits++;
    return b;
  }

  /**
   * The block at `index`: now if cached, else after the one read that loads it. Returns false,
   * without calling back, when it is neither cached nor being loaded and the cache will not
   * take it (full of pinned blocks, or the policy stepped aside): the flow reads for itself.
   */
  block(file: CachedFile, index: number, cb: BlockWaiter, force = false): boolean {
    const b = file.blocks.get(index);
    if (b) {
      b.used = true;
      if (b.data) {
        this.hits++;
        cb(null, b);
      } else {
        this.hits++;
        b.waiters?.push(cb);
      }
      return true;
    }
    if (file.closing || !(force || this.admit())) return false;
    const length = Math.min(BLOCK_SIZE, file.id.size - index * BLOCK_SIZE);
    if (length <= 0) return false;
    if (!this.makeRoom(length)) return false;
    this.misses++;
    const blk = new Block(file, index, length);
    blk.waiters = [cb];
    file.blocks.set(index, blk);
    this.ring.add(blk);
    this.bytes += length;
    this.load(blk, LOAD_TRIES);
    return true;
  }

  /** Counts bytes served from a block, for the policy. */
  served(b: Block, n: number): void {
    b.served += n;
  }

  /**
   * The file at `file` changed in place (fstat disagrees with its identity): no new flow
   * joins it, its blocks are dropped, and its flows go on against what the file is now.
   */
  changed(file: CachedFile, st: fs.Stats): void {
    if (this.files.get(file.key) === file) {
      this.files.delete(file.key);
      this.retiredOpen++;
    }
    file.retired = true;
    this.dropBlocks(file);
    file.id = identityOf(st);
  }

  private load(blk: Block, tries: number): void {
    const file = blk.file;
    const spare = blk.length === BLOCK_SIZE ? this.spare.pop() : undefined;
    const buf = spare ?? Buffer.allocUnsafeSlow(blk.length);
    file.inflight++;
    this.loads++;
    fs.read(file.fd, buf, 0, blk.length, blk.index * BLOCK_SIZE, (err, got) => {
      if (err) return this.settle(blk, err);
      fs.fstat(file.fd, (err2, st) => {
        if (err2) return this.settle(blk, err2);
        if (!sameIdentity(st, file.id)) {
          // Written to during (or before) the read: these bytes may mix two versions.
          this.changed(file, st);
          const length = Math.min(BLOCK_SIZE, st.size - blk.index * BLOCK_SIZE);
          if (tries > 1 && length === blk.length) {
            file.blocks.set(blk.index, blk);
            this.ring.add(blk);
            this.bytes += blk.length;
            file.inflight--;
            return this.load(blk, tries - 1);
          }
          return this.settle(blk, new FileChangedError(file.path));
        }
        if (got < blk.length) return this.settle(blk, new FileChangedError(file.path));
        blk.data = buf;
        this.settle(blk, null);
      });
    });
  }

  private settle(blk: Block, err: Error | null): void {
    const file = blk.file;
    file.inflight--;
    const waiters = blk.waiters ?? [];
    blk.waiters = null;
    if (err) this.drop(blk);
    for (const w of waiters) w(err, err ? null : blk);
    if (file.closing && file.inflight === 0) file.close();
  }

  private drop(blk: Block): void {
    if (!this.ring.delete(blk)) return;
    this.bytes -= blk.length;
    if (blk.file.blocks.get(blk.index) === blk) blk.file.blocks.delete(blk.index);
    this.policy.evicted(blk.served, blk.length);
    this.recycle(blk);
  }

  /** Keeps an evicted block's buffer for a later load, if no write or stream still holds a slice. */
  private recycle(blk: Block): void {
    const data = blk.data;
    blk.data = null;
    if (data && data.length === BLOCK_SIZE && blk.pins === 0 && !blk.held && this.spare.length < SPARE_MAX) this.spare.push(data);
  }

  private dropBlocks(file: CachedFile): void {
    for (const blk of file.blocks.values()) {
      // A loading block stays referenced by its waiters and settles into nothing.
      if (this.ring.delete(blk)) this.bytes -= blk.length;
    }
    file.blocks.clear();
  }

  /** Frees at least `need` bytes under the bound, never a pinned or loading block. */
  private makeRoom(need: number): boolean {
    if (need > this.o.maxBytes) return false;
    let budget = 2 * this.ring.size;
    for (const blk of this.ring) {
      if (this.bytes + need <= this.o.maxBytes) return true;
      if (budget-- <= 0) break;
      if (blk.pins > 0 || !blk.data || blk.used) {
        // Second chance: to the back of the clock.
        blk.used = false;
        this.ring.delete(blk);
        this.ring.add(blk);
        continue;
      }
      this.drop(blk);
    }
    return this.bytes + need <= this.o.maxBytes;
  }
}

function keyOf(st: FileIdentity): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

function identityOf(st: fs.Stats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}
