import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Flags for opening a file that should be regular: read-only and non-blocking. Opening a FIFO
 * for reading waits for a writer, and does so on a thread-pool thread: four such opens once
 * wedged every file request of the process. O_NONBLOCK makes that open return at once, and
 * has no effect on a regular file.
 */
export const OPEN_REGULAR = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** Rejects anything that is not a regular file (a FIFO, a device, a socket, a directory). */
export function assertRegular(path: string, stat: fs.Stats): void {
  if (!stat.isFile()) {
    const err = new Error(`not a regular file: ${path}`) as NodeJS.ErrnoException;
    err.code = 'ENOTREG';
    err.path = path;
    throw err;
  }
}

/** Opens `path` if it is a regular file, checked on the open descriptor (no stat-then-open race). */
export async function openRegular(path: string): Promise<FileHandle> {
  const handle = await fs.promises.open(path, OPEN_REGULAR);
  try {
    assertRegular(path, await handle.stat());
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}
