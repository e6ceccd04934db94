import fs from 'node:fs';
import path from 'node:path';
import { describeWithTools } from '../helpers/system';
import { download, eventually, rateAfter, startMediaServer, timeToBytes, VHOST, type MediaServer } from './media-app';
import { ffprobe, makeMp3, tempMediaDir } from './media-files';

// docs/spec.md §2 and §4 end to end for MP3: `$URL[*.mp3], x, 100, 5` takes its rate from the frame
// bitrate (CBR) or from the Xing frame count (VBR).
describeWithTools({ ffmpeg: 'ffmpeg', ffprobe: 'ffmpeg' }, 'an x rule on MP3 through Koa', () => {
  const { dir, cleanup } = tempMediaDir();
  let srv: MediaServer;

  beforeAll(async () => {
    await makeMp3(path.join(dir, 'cbr.mp3'), 24, { cbrKbps: 64 });
    await makeMp3(path.join(dir, 'vbr.mp3'), 12, 'vbr');
    srv = await startMediaServer(dir);
  });
  afterAll(async () => {
    await srv?.close();
    cleanup();
  });

  const planOf = (url: string) => eventually(() => srv.plans.find((p) => p.url === url)?.plan);

  describe('a CBR MP3 at 64 kbps without a Xing frame', () => {
    it('is sent at the frame bitrate after its 5 s boost', async () => {
      const rate = 64_000 / 8;
      const boost = 5 * rate;
      const d = await download(srv.port, '/music/cbr.mp3', {
        // A 64 kbps flow writes 32 KiB about every 4 s (docs/metering.md): measure over 12.6 s.
        stop: ({ ms, samples, total }) => total > boost && ms - timeToBytes(samples, boost) > 12_600,
      });
      expect(d.status).toBe(200);
      // At once (3× the half second a quiet machine needs); the rate's lower bound 3× as wide
      // as its target (a busy machine only delays bytes), the upper one is the limit.
      expect(timeToBytes(d.samples, boost)).toBeLessThan(1500);
      const measured = rateAfter(d.samples, boost + 100);
      if (process.env.KB_E2E_LOG) console.log('cbr', measured, rate);
      expect(measured.seconds).toBeGreaterThan(2.5);
      expect(measured.rate).toBeGreaterThan(rate * 0.55);
      expect(measured.rate).toBeLessThan(rate * 1.15);
      expect(await planOf('/music/cbr.mp3')).toMatchObject({ vhost: VHOST, dynamic: true, ratio: 100, bandwidth: rate, rate, boostBytes: boost });
    });
  });

  describe('a VBR MP3 with a Xing frame', () => {
    it('gets the rate from the frame count, as ffprobe finds it', async () => {
      const file = path.join(dir, 'vbr.mp3');
      expect(fs.readFileSync(file).subarray(0, 4096).includes('Xing')).toBe(true);
      const truth = await ffprobe(file);
      const d = await download(srv.port, '/music/vbr.mp3', { stop: ({ total }) => total > 0 });
      expect(d.status).toBe(200);
      const plan = await planOf('/music/vbr.mp3');
      if (process.env.KB_E2E_LOG) console.log('vbr', plan?.bandwidth, truth);
      expect(plan).toMatchObject({ dynamic: true, throttle: true, ratio: 100 });
      // ffprobe's rate counts the whole file, the ~0.5 kB of ID3v2 tag and Xing frame included.
      expect((plan!.bandwidth! * 8) / truth.bitRate).toBeGreaterThan(0.97);
      expect((plan!.bandwidth! * 8) / truth.bitRate).toBeLessThan(1.01);
      // A VBR file is not its first frame's bitrate: not 32, 40, 48, … 320 kbps exactly.
      expect(Number.isInteger((plan!.bandwidth! * 8) / 8000)).toBe(false);
    });
  });
});
