import path from 'node:path';
import { describeWithTools } from '../helpers/system';
import { probeFile } from '../../lib/media/probe-file';
import { download, eventually, startMediaServer, timeToBytes, type MediaServer } from '../integration/media-app';
import { makeMp4, tempMediaDir, withLargeMoov } from '../integration/media-files';

// Regression: respond() probed only fs.ReadStream bodies, so an MP4 sent as a Buffer (an
// in-memory cache) got the fallback rate of its `1000x` rule and a throttled header.
// docs/spec.md §4: a body without a path is probed from its bytes.
describeWithTools({ ffmpeg: 'ffmpeg' }, 'an MP4 sent as a Buffer body', () => {
  const { dir, cleanup } = tempMediaDir();
  let srv: MediaServer;

  beforeAll(async () => {
    await makeMp4(path.join(dir, 'base.mp4'), 8);
    await withLargeMoov(path.join(dir, 'base.mp4'), path.join(dir, 'movie.mp4'));
    srv = await startMediaServer(dir);
  });
  afterAll(async () => {
    await srv?.close();
    cleanup();
  });

  it('gets the probed encoding rate of a 1000x rule', async () => {
    const probed = await probeFile(path.join(dir, 'movie.mp4'), { kind: 'mp4' });
    const d = await download(srv.port, '/vod/movie.mp4?body=buffer', { stop: ({ total }) => total > 0 });
    expect(d.status).toBe(200);
    const plan = await eventually(() => srv.plans.find((p) => p.url === '/vod/movie.mp4?body=buffer')?.plan);
    expect(plan).toMatchObject({ dynamic: true, throttle: true });
    expect(plan!.bandwidth).toBeCloseTo(probed.bitrate! / 8, 6);
    expect(plan!.rate).toBeCloseTo((1.2 * probed.bitrate!) / 8, 6);
  });

  it('sends its ~65 kB header unthrottled at 1000 bytes/s', async () => {
    const probed = await probeFile(path.join(dir, 'movie.mp4'), { kind: 'mp4' });
    expect(probed.headerBytes).toBeGreaterThan(60_000);
    const d = await download(srv.port, '/slow/movie.mp4?body=buffer', { stop: ({ ms }) => ms > 1200 });
    expect(d.status).toBe(200);
    expect(timeToBytes(d.samples, probed.headerBytes)).toBeLessThan(1000);
    expect(d.total).toBeLessThan(probed.headerBytes + 3000);
  });
});
