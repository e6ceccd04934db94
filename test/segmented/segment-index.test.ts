import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SegmentIndex } from '../../lib/segmented/segment-index';
import { MAX_PLAYLIST_BYTES } from '../../lib/segmented/segment-entry';

const ROOT = path.join(__dirname, '..', '..');

describe('SegmentIndex', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-index-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['example-app/media/hls/high/seg_004.ts', { kind: 'media', duration: 2, seq: 4 }],
    ['test/fixtures/segmented/fmp4/init.mp4', { kind: 'init' }],
    ['test/fixtures/segmented/fmp4/seg_001.m4s', { kind: 'media', duration: 2, seq: 1 }],
    ['test/fixtures/segmented/dash/init-stream0.m4s', { kind: 'init' }],
    ['test/fixtures/segmented/dash/chunk-stream0-00002.m4s', { kind: 'media', duration: 2, seq: 2 }],
    ['test/fixtures/media/moov-first.mp4', null],
    ['test/fixtures/segmented/no-such-dir/a.ts', null],
  ])('places %s from the playlists beside it', async (file, want) => {
    await expect(new SegmentIndex().fromDisk(path.join(ROOT, file))).resolves.toEqual(want);
  });

  it('finds a file named with URL-special characters', async () => {
    const sub = path.join(dir, 'a #1 ?x%');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'i.m3u8'), '#EXTM3U\n#EXTINF:3,\nseg%20%231.ts\n');
    await expect(new SegmentIndex().fromDisk(path.join(sub, 'seg #1.ts'))).resolves.toEqual({ kind: 'media', duration: 3, seq: 0 });
  });

  it('reads at most MAX_PLAYLIST_BYTES of a huge playlist', async () => {
    const entry = '#EXTINF:2,\nsegment_000000.ts\n';
    const n = Math.ceil((2 * MAX_PLAYLIST_BYTES) / entry.length);
    const body = Array.from({ length: n }, (_, i) => `#EXTINF:2,\nsegment_${String(i).padStart(6, '0')}.ts\n`).join('');
    fs.writeFileSync(path.join(dir, 'big.m3u8'), `#EXTM3U\n${body}`);
    const index = new SegmentIndex();
    await expect(index.fromDisk(path.join(dir, 'segment_000010.ts'))).resolves.toMatchObject({ seq: 10 });
    await expect(index.fromDisk(path.join(dir, `segment_${String(n - 1).padStart(6, '0')}.ts`))).resolves.toBeNull();
  });

  it('sees a playlist added later, after its re-check interval', async () => {
    let now = 0;
    const index = new SegmentIndex(() => now);
    await expect(index.fromDisk(path.join(dir, 'a.ts'))).resolves.toBeNull();
    fs.writeFileSync(path.join(dir, 'live.m3u8'), '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:6,\na.ts\n');
    // The directory's mtime changed; within the re-check interval the cache answers.
    await expect(index.fromDisk(path.join(dir, 'a.ts'))).resolves.toBeNull();
    now += 1500;
    await expect(index.fromDisk(path.join(dir, 'a.ts'))).resolves.toEqual({ kind: 'media', duration: 6, seq: 7 });
  });

  it('skips a playlist it cannot read and reads the others', async () => {
    fs.mkdirSync(path.join(dir, 'a.m3u8')); // a directory named like a playlist
    fs.writeFileSync(path.join(dir, 'b.m3u8'), '#EXTM3U\n#EXTINF:2,\nx.ts\n');
    fs.writeFileSync(path.join(dir, 'c.mpd'), '<MPD><Period><AdaptationSet><Representation id="r"><SegmentTemplate media="$Number$.m4s" duration="4" startNumber="1"/></Representation></AdaptationSet></Period></MPD>');
    const index = new SegmentIndex();
    await expect(index.fromDisk(path.join(dir, 'x.ts'))).resolves.toMatchObject({ seq: 0 });
    await expect(index.fromDisk(path.join(dir, '3.m4s'))).resolves.toEqual({ kind: 'media', duration: 4, seq: 3 });
  });

  it('answers from served playlists, newest first, by URL path', () => {
    const index = new SegmentIndex();
    index.learn('/live/a.m3u8', '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:2,\nx.ts');
    index.learn('/live/b.m3u8', '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:9\n#EXTINF:4,\nx.ts');
    expect(index.fromServed('/live/x.ts')).toEqual({ kind: 'media', duration: 4, seq: 9 });
    index.learn('/live/b.m3u8', 'not a playlist any more');
    expect(index.fromServed('/live/x.ts')).toEqual({ kind: 'media', duration: 2, seq: 1 });
    expect(index.fromServed('/other/x.ts')).toBeNull();
  });

  it('remembers a bounded number of served playlists', () => {
    const index = new SegmentIndex();
    for (let i = 0; i < 300; i++) index.learn(`/p${i}/i.m3u8`, '#EXTM3U\n#EXTINF:2,\nx.ts');
    expect(index.fromServed('/p0/x.ts')).toBeNull();
    expect(index.fromServed('/p299/x.ts')).toMatchObject({ kind: 'media' });
  });
});

describe('SegmentIndex with a live playlist', () => {
  it('sees segments added to a playlist rewritten in place, once a second at most', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-live-'));
    try {
      let now = 0;
      const index = new SegmentIndex(() => now);
      const file = path.join(dir, 'live.m3u8');
      fs.writeFileSync(file, '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:100\n#EXTINF:4,\ns100.ts\n');
      await expect(index.fromDisk(path.join(dir, 's100.ts'))).resolves.toEqual({ kind: 'media', duration: 4, seq: 100 });
      // Rewritten in place (same inode): the directory's mtime does not change.
      const mtime = fs.statSync(dir).mtime;
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:100\n#EXTINF:4,\ns100.ts\n#EXTINF:4,\ns101.ts\n', 0);
      fs.closeSync(fd);
      fs.utimesSync(dir, mtime, mtime);
      await expect(index.fromDisk(path.join(dir, 's101.ts'))).resolves.toBeNull();
      now += 1500;
      await expect(index.fromDisk(path.join(dir, 's101.ts'))).resolves.toEqual({ kind: 'media', duration: 4, seq: 101 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
