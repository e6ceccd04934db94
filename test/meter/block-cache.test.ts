import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BLOCK_SIZE, BlockCache, type Block } from '../../lib/meter/block-cache';
import { CachePolicy } from '../../lib/meter/cache-policy';
import { cachedFileSource, OWN_READ } from '../../lib/meter/cached-file-source';
import type { BodySource } from '../../lib/meter/body-source';
import type { CachedFile } from '../../lib/meter/cached-file';

const read = (src: BodySource, max: number): Promise<Buffer | null> =>
  new Promise((resolve, reject) => src.read(max, (err, chunk) => (err ? reject(err) : resolve(chunk))));
const openFile = (cache: BlockCache, file: string): Promise<CachedFile> =>
  new Promise((resolve, reject) => cache.open(file, (err, f) => (err || !f ? reject(err) : resolve(f))));
const getBlock = (cache: BlockCache, f: CachedFile, i: number): Promise<Block | null> =>
  new Promise((resolve, reject) => {
    if (!cache.block(f, i, (err, b) => (err ? reject(err) : resolve(b)))) resolve(null);
  });
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

describe('BlockCache', () => {
  let dir: string;
  let file: string;
  const size = 8 * BLOCK_SIZE + 12_345;
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 9)) & 0xff;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'block-cache-'));
    file = path.join(dir, 'f.bin');
    fs.writeFileSync(file, bytes);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a block shared by 200 flows once, and serves each flow its own bytes', async () => {
    const cache = new BlockCache({ maxBytes: 16 * BLOCK_SIZE });
    const spy = jest.spyOn(fs, 'read');
    try {
      const flows = Array.from({ length: 200 }, (_, i) => {
        const start = BLOCK_SIZE + i * 1000;
        return { start, src: cachedFileSource(cache, file, start, size) };
      });
      const chunks = await Promise.all(flows.map((f) => read(f.src, 16_384)));
      const reads = spy.mock.calls.length;
      chunks.forEach((c, i) => {
        const start = flows[i]!.start;
        expect(c!.equals(bytes.subarray(start, start + 16_384))).toBe(true);
      });
      // 200 grants of 16 KiB, all inside block 1: one read, 199 flows wait behind it.
      expect(reads).toBe(1);
      expect(cache.loads).toBe(1);
      expect(cache.hits).toBe(199);
      expect(cache.openFiles).toBe(1);
      for (const f of flows) f.src.destroy();
    } finally {
      spy.mockRestore();
    }
    await settle();
    expect(cache.openFiles).toBe(0);
    expect(cache.cachedBytes).toBe(0);
  });

  it('meets every grant in full across block boundaries, with the file bytes', async () => {
    const cache = new BlockCache({ maxBytes: 4 * BLOCK_SIZE });
    const start = BLOCK_SIZE - 5000;
    const src = cachedFileSource(cache, file, start, size);
    let pos = start;
    const grants = [16_384, 3000, 70_000, 1, 8000];
    for (let i = 0; pos < size; i++) {
      const max = grants[i % grants.length] as number;
      const chunk = await read(src, max);
      expect(chunk!.length).toBe(Math.min(max, size - pos));
      expect(chunk!.equals(bytes.subarray(pos, pos + chunk!.length))).toBe(true);
      pos += chunk!.length;
    }
    expect(await read(src, 100)).toBeNull();
    src.destroy();
    await settle();
    expect(cache.openFiles).toBe(0);
  });

  it('keeps a pinned block through eviction, and frees it once unpinned', async () => {
    const cache = new BlockCache({ maxBytes: 2 * BLOCK_SIZE });
    const f = await openFile(cache, file);
    const a = (await getBlock(cache, f, 0))!;
    a.pin();
    for (const i of [1, 2, 3, 4, 5]) {
      const b = await getBlock(cache, f, i);
      expect(b).not.toBeNull();
      expect(cache.cachedBytes).toBeLessThanOrEqual(2 * BLOCK_SIZE);
    }
    expect(cache.peek(f, 0)).toBe(a);
    a.unpin();
    a.used = false;
    for (const i of [6, 7, 1]) await getBlock(cache, f, i);
    expect(cache.peek(f, 0)).toBeNull();
    cache.release(f);
  });

  it('declines a block when every cached block is pinned: memory stays bounded', async () => {
    const cache = new BlockCache({ maxBytes: 2 * BLOCK_SIZE });
    const f = await openFile(cache, file);
    (await getBlock(cache, f, 0))!.pin();
    (await getBlock(cache, f, 1))!.pin();
    expect(await getBlock(cache, f, 2)).toBeNull();
    expect(cache.cachedBytes).toBe(2 * BLOCK_SIZE);
    cache.release(f);
  });

  it('steps aside when a working set thrashes: flows read for themselves, larger and rarer', async () => {
    // 8 flows far apart in the file, a cache of 2 blocks: each block is evicted long before
    // its flow comes back to it.
    const cache = new BlockCache({ maxBytes: 2 * BLOCK_SIZE });
    const flows = Array.from({ length: 8 }, (_, i) => cachedFileSource(cache, file, i * BLOCK_SIZE + 7, size));
    for (let round = 0; round < 6; round++) for (const src of flows) await read(src, 16_384);
    expect(cache.policy.bypassing).toBe(true);
    const spy = jest.spyOn(fs, 'read');
    const loads = cache.loads;
    const reads = await (async (): Promise<number> => {
      try {
        for (let round = 0; round < 8; round++) for (const src of flows) await read(src, 16_384);
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    })();
    // 64 grants of 16 KiB: per-flow reads of OWN_READ bytes, one per 4 grants, plus the
    // policy's probes (one in 8 misses) that load a block.
    const perGrant = OWN_READ / 16_384;
    expect(reads).toBeGreaterThanOrEqual(64 / perGrant - 8);
    expect(reads).toBeLessThanOrEqual(64 / perGrant + 8);
    expect(cache.loads - loads).toBeLessThanOrEqual(4);
    for (const src of flows) src.destroy();
  });

  it('a flow reading for itself reuses one buffer, whatever the size of its grants', async () => {
    // A 64 KiB read on top of the read-ahead's tail needed a larger buffer each time, so
    // every read allocated one (1 MB/s of garbage per 1,000 viewers in the 50-file bench).
    const cache = new BlockCache({ maxBytes: 0 });
    const start = 12_345;
    const src = cachedFileSource(cache, file, start, size);
    const buffers = new Set<ArrayBufferLike>();
    let at = start;
    for (let i = 0; i < 12; i++) {
      const n = i % 2 ? 31_000 : 34_000;
      const c = (await read(src, n))!;
      expect(c.equals(bytes.subarray(at, at + n))).toBe(true);
      at += n;
      buffers.add(c.buffer);
    }
    expect(buffers.size).toBe(1);
    src.destroy();
  });

  it('copies a grant across two blocks into the flow\'s own buffer, reused', async () => {
    const cache = new BlockCache({ maxBytes: 8 * BLOCK_SIZE });
    const src = cachedFileSource(cache, file, BLOCK_SIZE - 10_000, size);
    const buffers = new Set<ArrayBufferLike>();
    let at = BLOCK_SIZE - 10_000;
    for (const n of [20_000, BLOCK_SIZE - 20_000, 20_000]) {
      const c = (await read(src, n))!;
      expect(c.equals(bytes.subarray(at, at + n))).toBe(true);
      if (n === 20_000) buffers.add(c.buffer);
      at += n;
    }
    // Both grants crossed a block boundary; neither was a slice of a cached block.
    expect(buffers.size).toBe(1);
    src.destroy();
  });

  it('never starts caching when maxBytes is 0', async () => {
    const cache = new BlockCache({ maxBytes: 0 });
    const src = cachedFileSource(cache, file, 0, size);
    const c = await read(src, 16_384);
    expect(c!.equals(bytes.subarray(0, 16_384))).toBe(true);
    expect(cache.loads).toBe(0);
    src.destroy();
  });

  it('shares one descriptor per file identity, and a replaced file gets its own', async () => {
    const own = path.join(dir, 'replace.bin');
    fs.writeFileSync(own, Buffer.alloc(1000, 1));
    const cache = new BlockCache({ maxBytes: 4 * BLOCK_SIZE });
    const a = cachedFileSource(cache, own, 0, 1000);
    const b = cachedFileSource(cache, own, 0, 1000);
    await Promise.all([read(a, 10), read(b, 10)]);
    expect(cache.openFiles).toBe(1);
    fs.writeFileSync(`${own}.new`, Buffer.alloc(2000, 2));
    fs.renameSync(`${own}.new`, own);
    const c = cachedFileSource(cache, own, 0, 2000);
    expect((await read(c, 10))!.equals(Buffer.alloc(10, 2))).toBe(true);
    expect((await read(a, 10))!.equals(Buffer.alloc(10, 1))).toBe(true);
    expect(cache.openFiles).toBe(2);
    for (const s of [a, b, c]) s.destroy();
    await settle();
    expect(cache.openFiles).toBe(0);
  });

  it('reads a block again when the file was rewritten in place before the read: one version per block', async () => {
    const own = path.join(dir, 'rewrite.bin');
    fs.writeFileSync(own, Buffer.alloc(2 * BLOCK_SIZE, 1));
    const cache = new BlockCache({ maxBytes: 8 * BLOCK_SIZE });
    const f = await openFile(cache, own);
    const old = (await getBlock(cache, f, 0))!;
    expect(old.data!.every((b) => b === 1)).toBe(true);
    // Same size, new bytes and a new mtime: the identity the cache holds no longer matches.
    await new Promise((r) => setTimeout(r, 20));
    const fd = fs.openSync(own, 'r+');
    fs.writeSync(fd, Buffer.alloc(2 * BLOCK_SIZE, 2), 0, 2 * BLOCK_SIZE, 0);
    fs.closeSync(fd);
    const b1 = (await getBlock(cache, f, 1))!;
    expect(b1.data!.every((b) => b === 2)).toBe(true);
    expect(cache.loads).toBe(3);
    // The old version's blocks are gone, no new flow joins the old identity, and a new
    // open sees the file as it is now.
    expect(cache.peek(f, 0)).toBeNull();
    expect(f.retired).toBe(true);
    const g = await openFile(cache, own);
    expect(g).not.toBe(f);
    expect((await getBlock(cache, g, 0))!.data!.every((b) => b === 2)).toBe(true);
    cache.release(f);
    cache.release(g);
    await settle();
    expect(cache.openFiles).toBe(0);
  });

  it('fails a read past the end of a file cut short, instead of waiting', async () => {
    const own = path.join(dir, 'cut.bin');
    fs.writeFileSync(own, Buffer.alloc(3 * BLOCK_SIZE, 3));
    const cache = new BlockCache({ maxBytes: 8 * BLOCK_SIZE });
    const src = cachedFileSource(cache, own, 0, 3 * BLOCK_SIZE);
    expect((await read(src, 1000))!.length).toBe(1000);
    fs.truncateSync(own, 1000);
    await expect(read(src, BLOCK_SIZE * 2)).rejects.toMatchObject({ code: 'ERR_FILE_CHANGED' });
    src.destroy();
  });
});

describe('CachePolicy', () => {
  it.each([
    ['blocks fully served once', [[1, 1]], false],
    ['blocks shared by many flows', [[8, 1]], false],
    ['blocks evicted at a quarter served', [[0.25, 1]], true],
    ['evicted unused', [[0, 1]], true],
    ['thrash, then reuse comes back', [[0, 1], [4, 1]], false],
  ])('%s → bypassing %s', (_name, phases, bypassing) => {
    const p = new CachePolicy();
    for (const [ratio] of phases as number[][]) for (let i = 0; i < 200; i++) p.evicted((ratio as number) * 1000, 1000);
    expect(p.bypassing).toBe(bypassing);
  });

  it('probes one miss in probeEvery while bypassing', () => {
    const p = new CachePolicy(1, 1.5, 4);
    for (let i = 0; i < 100; i++) p.evicted(0, 1000);
    const admitted = Array.from({ length: 40 }, () => p.admit()).filter(Boolean).length;
    expect(admitted).toBe(10);
  });
});
