import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeWithTools } from '../helpers/system';
import { startMediaServer, type MediaServer } from './media-app';
import { makeMp4, tempMediaDir, topLevelBoxes, withLargeMoov } from './media-files';

const run = promisify(execFile);

// A player (here ffprobe) reading an MP4 with moov at the end over HTTP fetches
// the moov with a Range request; that 206 is exempt for its header bytes (docs/spec.md §5), so the
// metadata arrives at once even under a low BT rate. `/probe/` is 10 000 bytes/s with a
// 30 000-byte boost, and the moov is ~65 kB: throttled, it would need over 3.5 s.
const RATE = 10_000;
const BOOST = 30_000;

describeWithTools({ ffmpeg: 'ffmpeg', ffprobe: 'ffmpeg' }, 'ffprobe over HTTP on a moov-last MP4', () => {
  const { dir, cleanup } = tempMediaDir();
  let srv: MediaServer;
  let moov: { start: number; end: number };

  beforeAll(async () => {
    await makeMp4(path.join(dir, 'base.mp4'), 20);
    await withLargeMoov(path.join(dir, 'base.mp4'), path.join(dir, 'late.mp4'), true);
    moov = topLevelBoxes(path.join(dir, 'late.mp4')).find((b) => b.type === 'moov')!;
    srv = await startMediaServer(dir);
  });
  afterAll(async () => {
    await srv?.close();
    cleanup();
  });

  /** Runs ffprobe on the file through `port`; its seconds, and what it found. */
  async function ffprobeOverHttp(port: number): Promise<number> {
    const t0 = performance.now();
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', `http://127.0.0.1:${port}/probe/late.mp4`], { timeout: 15_000 });
    const seconds = (performance.now() - t0) / 1000;
    const info = JSON.parse(stdout) as { format: { duration: string }; streams: Array<{ codec_name: string }> };
    expect(Number(info.format.duration)).toBeCloseTo(20, 0);
    expect(info.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    return seconds;
  }

  const throttledSeconds = (): number => (moov.end - moov.start - BOOST) / RATE;

  it('gets the metadata well within the time the throttled moov would take', async () => {
    expect(throttledSeconds()).toBeGreaterThan(3);
    const seconds = await ffprobeOverHttp(srv.port);
    if (process.env.KB_E2E_LOG) console.log('ffprobe', seconds, throttledSeconds());
    // Under the time the throttled moov alone would take: ffprobe's own start and its other
    // requests fit in what is left, even on a busy machine (quiet, it is well under half).
    expect(seconds).toBeLessThan(throttledSeconds());
    // It did fetch the moov with a Range request, and that request was throttled (BT applied).
    const moovRequest = srv.plans.find((p) => p.range === `bytes=${moov.start}-`);
    expect(moovRequest).toMatchObject({ status: 206, plan: { throttle: true, rate: RATE, boostBytes: BOOST } });
  });

  it('waits for the throttled moov when headers are not exempt (control: maxHeaderBytes 0)', async () => {
    const control = await startMediaServer(dir, { maxHeaderBytes: 0 });
    try {
      const seconds = await ffprobeOverHttp(control.port);
      if (process.env.KB_E2E_LOG) console.log('ffprobe control', seconds, throttledSeconds());
      expect(seconds).toBeGreaterThan(throttledSeconds() * 0.7);
      expect(seconds).toBeLessThan(throttledSeconds() * 2 + 2);
    } finally {
      await control.close();
    }
  });
});
