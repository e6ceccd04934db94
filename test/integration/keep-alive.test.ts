import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describeWithTools } from '../helpers/system';
import { eventually, startMediaServer, type MediaServer } from './media-app';
import { makeMp4, tempMediaDir, topLevelBoxes, withLargeMoov } from './media-files';

/** One request on `agent`; resolves with the status, headers, bytes and milliseconds. */
function fetchOn(agent: http.Agent, port: number, urlPath: string, opts: { method?: string; range?: string } = {}) {
  const t0 = performance.now();
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; ms: number; socket: unknown }>((resolve, reject) => {
    const headers: Record<string, string> = opts.range ? { Range: opts.range } : {};
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: opts.method ?? 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - t0, socket: req.socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// A player keeps one HTTP/1.1 connection for its requests: a HEAD, the moov, then media.
// Each response gets its own header exemption (docs/spec.md §5), on one session.
describeWithTools({ ffmpeg: 'ffmpeg' }, 'media requests on one keep-alive connection', () => {
  const { dir, cleanup } = tempMediaDir();
  let srv: MediaServer;
  let file: Buffer;
  let moov: { start: number; end: number };

  beforeAll(async () => {
    await makeMp4(path.join(dir, 'base.mp4'), 8);
    await withLargeMoov(path.join(dir, 'base.mp4'), path.join(dir, 'late.mp4'), true);
    file = fs.readFileSync(path.join(dir, 'late.mp4'));
    moov = topLevelBoxes(path.join(dir, 'late.mp4')).find((b) => b.type === 'moov')!;
    srv = await startMediaServer(dir);
  });
  afterAll(async () => {
    await srv?.close();
    cleanup();
  });

  it('sends each response its exempt header bytes, intact, on one session', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const url = '/slow/late.mp4';
      const head = await fetchOn(agent, srv.port, url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(file.length));
      expect(head.body.length).toBe(0);
      // Twice the ~65 kB moov, at 1000 bytes/s: both at once, byte for byte.
      const a = await fetchOn(agent, srv.port, url, { range: `bytes=${moov.start}-` });
      const b = await fetchOn(agent, srv.port, url, { range: `bytes=${moov.start}-${moov.end - 1}` });
      for (const r of [a, b]) {
        expect(r.status).toBe(206);
        expect(r.body.equals(file.subarray(moov.start, moov.end))).toBe(true);
        expect(r.ms).toBeLessThan(3000); // throttled, it would take a minute
      }
      expect(a.socket).toBe(head.socket);
      expect(b.socket).toBe(head.socket);
      // Then 1500 mdat bytes are throttled, on the same connection.
      const c = await fetchOn(agent, srv.port, url, { range: 'bytes=100-1599' });
      expect(c.body.equals(file.subarray(100, 1600))).toBe(true);
      expect(c.ms).toBeGreaterThan(400);
      expect(c.ms).toBeLessThan(6000);
      const records = (await eventually(() => (srv.records.length >= 4 ? srv.records : undefined)))!;
      expect(records.map((r) => [r.method, r.status, r.bytes])).toEqual([
        ['HEAD', 200, 0],
        ['GET', 206, moov.end - moov.start],
        ['GET', 206, moov.end - moov.start],
        ['GET', 206, 1500],
      ]);
      expect(new Set(records.map((r) => r.session)).size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});
