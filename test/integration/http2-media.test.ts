import fs from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import { describeWithTools } from '../helpers/system';
import { eventually, startMediaServer, type MediaServer } from './media-app';
import { makeMp4, tempMediaDir, topLevelBoxes, withLargeMoov } from './media-files';

function fetch2(session: http2.ClientHttp2Session, p: string, range?: string): Promise<{ status: number; body: Buffer; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': p, ...(range ? { range } : {}) });
    const chunks: Buffer[] = [];
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status, body: Buffer.concat(chunks), ms: performance.now() - t0 }));
    req.on('error', reject);
    req.end();
  });
}

// docs/spec.md §5: HTTP/2 works, and a session is the HTTP/2 connection. Two streams fetch the
// ~65 kB moov of a moov-last file at once under 1000 bytes/s, on one session.
describeWithTools({ ffmpeg: 'ffmpeg' }, 'media over HTTP/2 (h2c)', () => {
  const { dir, cleanup } = tempMediaDir();
  let srv: MediaServer;
  let client: http2.ClientHttp2Session;
  let file: Buffer;
  let moov: { start: number; end: number };

  beforeAll(async () => {
    await makeMp4(path.join(dir, 'base.mp4'), 8);
    await withLargeMoov(path.join(dir, 'base.mp4'), path.join(dir, 'late.mp4'), true);
    file = fs.readFileSync(path.join(dir, 'late.mp4'));
    moov = topLevelBoxes(path.join(dir, 'late.mp4')).find((b) => b.type === 'moov')!;
    srv = await startMediaServer(dir, { http2: true });
    client = http2.connect(`http://127.0.0.1:${srv.port}`);
  });
  afterAll(async () => {
    client?.close();
    await srv?.close();
    cleanup();
  });

  it('exempts the moov of concurrent 206 streams, and throttles their mdat bytes', async () => {
    const [a, b, c] = await Promise.all([
      fetch2(client, '/slow/late.mp4', `bytes=${moov.start}-`),
      fetch2(client, '/slow/late.mp4', `bytes=${moov.start}-`),
      fetch2(client, '/slow/late.mp4', 'bytes=100-1599'),
    ]);
    for (const r of [a!, b!]) {
      expect(r.status).toBe(206);
      expect(r.body.equals(file.subarray(moov.start, moov.end))).toBe(true);
      expect(r.ms).toBeLessThan(3000); // throttled, it would take a minute
    }
    expect(c!.body.equals(file.subarray(100, 1600))).toBe(true);
    expect(c!.ms).toBeGreaterThan(400);
    expect(c!.ms).toBeLessThan(6000);
    const records = (await eventually(() => (srv.records.length >= 3 ? srv.records : undefined)))!;
    expect(records).toHaveLength(3);
    expect(new Set(records.map((r) => r.session)).size).toBe(1);
  });
});
