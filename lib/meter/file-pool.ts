import fs from 'node:fs';
import { assertRegular, OPEN_REGULAR } from '../media/regular-file';

interface Entry {
  fd: Promise<number>;
  refs: number;
}

/** Resolves with `fd` if it is a regular file; otherwise closes it and rejects (ENOTREG). */
function regularOrClose(path: string, fd: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.fstat(fd, (err, stat) => {
      try {
        if (err) throw err;
        assertRegular(path, stat);
        resolve(fd);
      } catch (e) {
        fs.close(fd, () => reject(e as Error));
      }
    }),
  );
}

/**
 * Shared read-only file descriptors, one per path while any metered response reads it, so
 * 10,000 sessions on one file hold one descriptor, not 10,000. Closed with the last user.
 * Only regular files: opened non-blocking (a FIFO's open would wait on a thread-pool thread)
 * and checked with fstat.
 */
export class FilePool {
  private readonly open = new Map<string, Entry>();

  get size(): number {
    return this.open.size;
  }

  acquire(path: string): Promise<number> {
    let e = this.open.get(path);
    if (!e) {
      const fd = new Promise<number>((resolve, reject) => fs.open(path, OPEN_REGULAR, (err, n) => (err ? reject(err) : resolve(n)))).then((n) => regularOrClose(path, n));
      this.open.set(path, (e = { fd, refs: 0 }));
      fd.catch(() => this.open.delete(path));
    }
    e.refs++;
    return e.fd;
  }

  release(path: string): void {
    const e = this.open.get(path);
    if (!e || --e.refs > 0) return;
    this.open.delete(path);
    e.fd.then(
      (fd) => fs.close(fd, () => {}),
      () => {},
    );
  }
}
