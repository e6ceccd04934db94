import fs from 'node:fs';

interface Entry {
  fd: Promise<number>;
  refs: number;
}

/**
 * Shared read-only file descriptors, one per path while any metered response reads it, so
 * 10,000 sessions on one file hold one descriptor, not 10,000. Closed with the last user.
 */
export class FilePool {
  private readonly open = new Map<string, Entry>();

  get size(): number {
    return this.open.size;
  }

  acquire(path: string): Promise<number> {
    let e = this.open.get(path);
    if (!e) {
      const fd = new Promise<number>((resolve, reject) => fs.open(path, 'r', (err, n) => (err ? reject(err) : resolve(n))));
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
