import fs from 'node:fs';
import http2 from 'node:http2';
import { FILE_SIZE, listen, mediaDir, meteredApp } from './http-app';

function fetch2(session: http2.ClientHttp2Session, p: string): Promise<{ bytes: number; ms: number; length: string | undefined }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': p });
    let bytes = 0;
    let length: string | undefined;
    req.on('response', (h) => {
      length = h['content-length'] as string | undefined;
    });
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => resolve({ bytes, ms: performance.now() - t0, length }));
    req.on('error', reject);
    req.end();
  });
}

describe('engine over HTTP/2 (h2c) on loopback', () => {
  const dir = mediaDir();
  const { app, engine } = meteredApp(dir);
  const server = http2.createServer(app.callback());
  let port = 0;
  let client: http2.ClientHttp2Session;
  beforeAll(async () => {
    port = await listen(server);
    client = http2.connect(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    client.close();
    await engine.close();
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('downloads a metered file at its rate', async () => {
    // 100 000 boost bytes, then 500 000 at 250 000 B/s: 2 s.
    const r = await fetch2(client, '/file?rate=250000&boost=100000');
    expect(r.bytes).toBe(FILE_SIZE);
    expect(r.length).toBe(String(FILE_SIZE));
    // Upper bounds leave 3× the margin a quiet machine needs: a stuck flow still fails them.
    expect(r.ms).toBeGreaterThan(1700);
    expect(r.ms).toBeLessThan(5600);
  });

  it('treats the connection as one session: streams share the session cap', async () => {
    // Two streams × 100 000 bytes under a 200 000 B/s session cap: 1 s together.
    const t0 = performance.now();
    const rs = await Promise.all([fetch2(client, '/buffer?scap=200000'), fetch2(client, '/buffer?scap=200000')]);
    const ms = performance.now() - t0;
    for (const r of rs) expect(r.bytes).toBe(100_000);
    expect(ms).toBeGreaterThan(800);
    expect(ms).toBeLessThan(3400);
    expect(engine.activeSessions).toBe(0);
  });
});
