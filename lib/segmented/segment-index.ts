import fs from 'node:fs/promises';
import path from 'node:path';
import { playlistTable } from './playlist-table';
import { MAX_PLAYLIST_BYTES, type SegmentEntry, type SegmentTable } from './segment-entry';

/** Most directory entries looked at, playlists read per directory, directories and served playlists remembered. */
const MAX_DIR_ENTRIES = 4096;
const MAX_DIR_PLAYLISTS = 16;
const MAX_DIRS = 256;
const MAX_LEARNED = 256;
/** A cached directory is checked again (one stat) after this long. */
const RECHECK_MS = 1000;

interface DirTables {
  mtimeMs: number;
  checkedAt: number;
  readAt: number;
  tables: Promise<SegmentTable[]>;
  /** Whether the last read found a playlist listing anything (known once it resolved). */
  lists: boolean;
}

/**
 * Where a segment's duration, sequence number and kind come from (docs/segmented.md):
 * the playlists served through the middleware (learned by URL path), else the playlists
 * next to the segment's file on disk (a bounded, cached read, like the MP4 probe). Both
 * caches are bounded LRUs; nothing here throws.
 */
export class SegmentIndex {
  private readonly learned = new Map<string, SegmentTable>();
  /** The version (size, mtime) of each served playlist file last learned, by URL path. */
  private readonly learnedFrom = new Map<string, string>();
  private readonly dirs = new Map<string, DirTables>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Remember a playlist served at `urlPath` (its text, at most {@link MAX_PLAYLIST_BYTES}). */
  learn(urlPath: string, text: string): void {
    const table = playlistTable(text, urlPath);
    this.learned.delete(urlPath);
    if (table.size === 0) return;
    this.learned.set(urlPath, table);
    while (this.learned.size > MAX_LEARNED) this.learned.delete(this.learned.keys().next().value as string);
  }

  /**
   * Remember a playlist file served at `urlPath`: read (at most {@link MAX_PLAYLIST_BYTES})
   * and parsed again only when its size or mtime changed. Never rejects.
   */
  async learnFile(urlPath: string, file: string): Promise<void> {
    try {
      const st = await fs.stat(file);
      const version = `${st.size}:${st.mtimeMs}:${file}`;
      if (this.learnedFrom.get(urlPath) === version && this.learned.has(urlPath)) return;
      const text = await readPrefix(file);
      if (text === null) return;
      this.learn(urlPath, text);
      this.learnedFrom.delete(urlPath);
      this.learnedFrom.set(urlPath, version);
      while (this.learnedFrom.size > MAX_LEARNED) this.learnedFrom.delete(this.learnedFrom.keys().next().value as string);
    } catch {
      // A playlist that cannot be read teaches nothing; the disk index may still place its segments.
    }
  }

  /**
   * Whether the playlists of the file's directory have been read and list anything: a
   * synchronous check, so an `.mp4` in a directory without playlists (a progressive file)
   * costs no directory read.
   */
  listsIn(file: string): boolean {
    return this.dirs.size > 0 && this.dirs.get(path.dirname(path.resolve(file)))?.lists === true;
  }

  /** What the served playlists say of `urlPath`; the newest one wins. */
  fromServed(urlPath: string): SegmentEntry | null {
    let hit: SegmentEntry | null = null;
    for (const t of this.learned.values()) hit = t.find(urlPath) ?? hit;
    return hit;
  }

  /** What the playlists in the file's directory say of it; null when none lists it. */
  async fromDisk(file: string): Promise<SegmentEntry | null> {
    const abs = path.resolve(file);
    const dir = path.dirname(abs);
    const key = abs.split(path.sep).join('/');
    const find = (tables: SegmentTable[]): SegmentEntry | null => {
      for (const t of tables) {
        const hit = t.find(key);
        if (hit) return hit;
      }
      return null;
    };
    const hit = find(await this.dirTables(dir, false));
    // A live playlist rewritten in place leaves the directory's mtime alone: on a miss, the
    // playlists are read again, at most once per re-check interval.
    return hit ?? find(await this.dirTables(dir, true));
  }

  private async dirTables(dir: string, miss: boolean): Promise<SegmentTable[]> {
    const now = this.clock();
    const cached = this.dirs.get(dir);
    if (cached && miss) {
      if (now - cached.readAt < RECHECK_MS) return cached.tables;
      cached.readAt = now;
      cached.checkedAt = now;
      cached.tables = readDir(dir);
      void cached.tables.then((t) => (cached.lists = t.some((x) => x.size > 0)));
      return cached.tables;
    }
    if (cached && now - cached.checkedAt < RECHECK_MS) return cached.tables;
    let mtimeMs: number;
    try {
      mtimeMs = (await fs.stat(dir)).mtimeMs;
    } catch {
      return [];
    }
    if (cached && cached.mtimeMs === mtimeMs) {
      cached.checkedAt = now;
      return cached.tables;
    }
    const entry: DirTables = { mtimeMs, checkedAt: now, readAt: now, tables: readDir(dir), lists: false };
    void entry.tables.then((t) => (entry.lists = t.some((x) => x.size > 0)));
    this.dirs.delete(dir);
    this.dirs.set(dir, entry);
    while (this.dirs.size > MAX_DIRS) this.dirs.delete(this.dirs.keys().next().value as string);
    return entry.tables;
  }
}

/** The tables of up to {@link MAX_DIR_PLAYLISTS} playlists among the directory's first {@link MAX_DIR_ENTRIES} entries. */
async function readDir(dir: string): Promise<SegmentTable[]> {
  const names: string[] = [];
  try {
    const d = await fs.opendir(dir, { bufferSize: 64 });
    let seen = 0;
    for await (const e of d) {
      if (++seen > MAX_DIR_ENTRIES || names.length >= MAX_DIR_PLAYLISTS) break;
      if (e.isFile() && /\.(m3u8|mpd)$/i.test(e.name)) names.push(e.name);
    }
  } catch {
    return [];
  }
  const tables: SegmentTable[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    const text = await readPrefix(file);
    if (text !== null) tables.push(playlistTable(text, file.split(path.sep).join('/')));
  }
  return tables;
}

/** At most {@link MAX_PLAYLIST_BYTES} of a file as UTF-8; null when it cannot be read. */
export async function readPrefix(file: string): Promise<string | null> {
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(file, 'r');
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(Math.min(size, MAX_PLAYLIST_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return null;
  } finally {
    await handle?.close().catch(() => {});
  }
}
