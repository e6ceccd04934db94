import { spawn } from 'node:child_process';
import { describeWithTools } from '../helpers/system';
import { startHlsServer, type HlsServer } from './serve-hls';

/** ffmpeg's HLS demuxer reads the ladder through `serve` while it is paced (docs/segmented.md). */
describeWithTools({ ffmpeg: 'ffmpeg' }, 'ffmpeg reads the master playlist over HTTP while throttled', () => {
  let server: HlsServer;
  beforeAll(async () => {
    server = await startHlsServer();
  });
  afterAll(() => server?.stop());

  it('decodes the ladder with no error, paced', async () => {
    const t0 = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', `${server.base}/hls/ladder/master.m3u8`, '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (c: Buffer) => (err += c.toString()));
      p.on('error', reject);
      p.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(`segmented: ffmpeg read the ladder in ${seconds.toFixed(2)} s\n`);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // 12 s of media, 4 s of boost, the rest paced at 150 %: 8 ÷ 1.5 = 5.3 s. ffmpeg opens the
    // next segment while it reads one (`http_multiple`); the viewer's pace still holds, so
    // reading ahead does not make it faster. Unthrottled it takes ~0.2 s.
    expect(seconds).toBeGreaterThan(5);
    expect(seconds).toBeLessThan(30);
  }, 60_000);
});
