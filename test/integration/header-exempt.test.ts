import fs from 'node:fs';
import path from 'node:path';
import { describeWithTools } from '../helpers/system';
import { download, eventually, startMediaServer, timeToBytes, type MediaServer } from './media-app';
import { makeMp4, tempMediaDir, topLevelBoxes, withLargeMoov } from './media-files';

// docs/spec.md §4–5 end to end: the media header goes out unthrottled, and a 206 is exempt for
// exactly the header bytes its range covers. `/slow/` is 1000 bytes/s with no boost, so
// the ~65 kB `moov` would take over a minute if it were throttled.
const RATE = 1000;

describeWithTools({ ffmpeg: 'ffmpeg' }, 'media header bytes through Koa', () => {
  const { dir, cleanup } = tempMediaDir();
  let srv: MediaServer;
  let first: { header: number; size: number };
  let last: { moovStart: number; moovEnd: number; size: number; bytes: Buffer };

  beforeAll(async () => {
    await makeMp4(path.join(dir, 'base.mp4'), 20);
    await withLargeMoov(path.join(dir, 'base.mp4'), path.join(dir, 'first.mp4'));
    await withLargeMoov(path.join(dir, 'base.mp4'), path.join(dir, 'last.mp4'), true);
    fs.copyFileSync(path.join(dir, 'first.mp4'), path.join(dir, 'first.bin'));
    // Independent box listings (not lib/media): the header is everything before mdat, or mdat's prefix plus moov.
    const fb = topLevelBoxes(path.join(dir, 'first.mp4'));
    first = { header: fb.find((b) => b.type === 'mdat')!.start, size: fs.statSync(path.join(dir, 'first.mp4')).size };
    const lb = topLevelBoxes(path.join(dir, 'last.mp4'));
    const moov = lb.find((b) => b.type === 'moov')!;
    last = { moovStart: moov.start, moovEnd: moov.end, size: fs.statSync(path.join(dir, 'last.mp4')).size, bytes: fs.readFileSync(path.join(dir, 'last.mp4')) };
    // A moov-last file cut in the middle of its moov: the probe must give up, not guess.
    fs.writeFileSync(path.join(dir, 'truncated.mp4'), last.bytes.subarray(0, moov.start + 30_000));
    srv = await startMediaServer(dir);
  });
  afterAll(async () => {
    await srv?.close();
    cleanup();
  });

  it('has a large moov (the fixture is what the tests assume)', () => {
    expect(first.header).toBeGreaterThan(60_000);
    expect(last.moovEnd).toBe(last.size);
    expect(last.moovEnd - last.moovStart).toBeGreaterThan(60_000);
  });

  describe('a full GET of an MP4 with moov first', () => {
    it('gets the whole header at once, then the BT rate', async () => {
      const d = await download(srv.port, '/slow/first.mp4', { stop: ({ ms }) => ms > 2000 });
      expect(d.status).toBe(200);
      // 65 s of the BT rate at once (3 s: room for a busy machine).
      expect(timeToBytes(d.samples, first.header)).toBeLessThan(3000);
      const after = d.total - first.header;
      const seconds = (d.samples.at(-1)!.ms - timeToBytes(d.samples, first.header)) / 1000;
      // After the header: the BT rate, give or take a write (≤ 500 ms of credit); never more,
      // and less only by what a busy machine delays (3× the margin).
      expect(after).toBeGreaterThanOrEqual(RATE * (seconds - 1.8));
      expect(after).toBeLessThanOrEqual(RATE * (seconds + 0.6));
    });

    it('is throttled from the first byte when the same file is not media (control)', async () => {
      const d = await download(srv.port, '/slow/first.bin', { stop: ({ ms }) => ms > 1000 });
      expect(d.status).toBe(200);
      expect(d.total).toBeLessThan(2 * RATE);
    });
  });

  describe('a 206 on an MP4 with moov last', () => {
    it('sends a range holding only the moov at once', async () => {
      const d = await download(srv.port, '/slow/last.mp4', { range: `bytes=${last.moovStart}-`, stop: ({ ms }) => ms > 5000 });
      expect(d.status).toBe(206);
      expect(d.headers['content-range']).toBe(`bytes ${last.moovStart}-${last.size - 1}/${last.size}`);
      expect(d.complete).toBe(true);
      expect(d.total).toBe(last.moovEnd - last.moovStart);
      expect(d.samples.at(-1)!.ms).toBeLessThan(3000);
    });

    it('throttles the mdat bytes of a range and exempts exactly its moov bytes', async () => {
      const before = 2500;
      const d = await download(srv.port, '/slow/last.mp4', { range: `bytes=${last.moovStart - before}-`, stop: ({ ms }) => ms > 8000 });
      expect(d.status).toBe(206);
      expect(d.complete).toBe(true);
      expect(d.total).toBe(last.moovEnd - last.moovStart + before);
      // 2500 mdat bytes at 1000 bytes/s (the bucket may hold up to a second of credit)…
      const firstMoovByte = timeToBytes(d.samples, before + 1);
      expect(firstMoovByte).toBeGreaterThan(1000);
      expect(firstMoovByte).toBeLessThan(8000);
      // …and then the 65 kB moov at once.
      expect(d.samples.at(-1)!.ms - firstMoovByte).toBeLessThan(1500);
    });

    it('throttles a range of mdat bytes alone', async () => {
      const d = await download(srv.port, '/slow/last.mp4', { range: 'bytes=1000-30999', stop: ({ ms }) => ms > 1500 });
      expect(d.status).toBe(206);
      expect(d.total).toBeLessThan(3 * RATE);
    });
  });

  describe('an MP4 whose moov is cut short', () => {
    it('gets the fallback rate of its 1000x rule', async () => {
      const d = await download(srv.port, '/vod/truncated.mp4', { stop: ({ total }) => total > 0 });
      expect(d.status).toBe(200);
      const entry = await eventually(() => srv.plans.find((p) => p.url === '/vod/truncated.mp4'));
      expect(entry?.plan).toMatchObject({ dynamic: true, bandwidth: 125_000, rate: 150_000, boostBytes: 750_000 });
    });
  });
});
