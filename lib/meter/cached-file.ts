import fs from 'node:fs';
import type { Block } from './block-cache';

/** What makes two opens the same file: same device and inode, same size and mtime. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * One open file identity of the block cache: its descriptor, shared by every flow reading it,
 * and its cached blocks. `retired` once it changed in place: no new flow joins it.
 */
export class CachedFile {
  refs = 0;
  /** Reads in flight on the descriptor: it closes only after the last. */
  inflight = 0;
  retired = false;
  closing = false;
  private closed = false;
  readonly blocks = new Map<number, Block>();
  constructor(
    readonly path: string,
    readonly fd: number,
    public id: FileIdentity,
    readonly key: string,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.close(this.fd, () => {});
  }
}
