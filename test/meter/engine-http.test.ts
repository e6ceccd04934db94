import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { FILE_SIZE, get, listen, mediaDir, meteredApp } from './http-app';

describe('engine over HTTP/1.1 on loopback', () => {
  const dir = mediaDir();
  const { app, engine, wrapped, pulled } = meteredApp(dir);
  const errors: Error[] = [];
  app.on('error', (e: Error) => errors.push(e));
  const server = http.createServer(app.callback());
  let port = 0;
  beforeAll(async () => {
    port = await listen(server);
  });
  afterAll(async () => {
    await engine.close();
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    wrapped.length = 0;
  });

  describe('skips what must not be metered', () => {
    it.each([
      ['HEAD', '/buffer?rate=1000'],
      ['GET', '/empty?rate=1000'],
      ['GET', '/not-modified?rate=1000'],
      ['GET', '/buffer'],
    ])('%s %s goes out unmetered', async (method, p) => {
      const r = await get(port, p, { method });
      expect(wrapped).toEqual([false]);
      expect(r.ms).toBeLessThan(3000);
      if (method === 'HEAD') expect(r.headers['content-length']).toBe('100000');
    });

    it('leaves an empty body alone', async () => {
      const r = await get(port, '/zero?rate=1000');
      expect(r.bytes).toBe(0);
      expect(r.headers['content-length']).toBe('0');
      expect(wrapped).toEqual([false]);
    });

    it('does not meter a body twice', async () => {
      const r = await get(port, '/buffer?rate=1000&boost=1000000&twice=1');
      expect(r.bytes).toBe(100_000);
      expect(wrapped).toEqual([true, false]);
    });

    it('leaves ctx.respond = false alone', async () => {
      const r = await get(port, '/no-respond?rate=1000');
      expect(r.body.toString()).toBe('raw');
      expect(wrapped).toEqual([false]);
    });
  });

  describe('keeps the body and its Content-Length', () => {
    it.each([
      ['/file', FILE_SIZE],
      ['/buffer', 100_000],
      ['/string', 100_000],
      ['/json', 1008],
    ])('for %s', async (p, size) => {
      const r = await get(port, `${p}?rate=1000&boost=100000000`);
      expect(wrapped).toEqual([true]);
      expect(r.headers['content-length']).toBe(String(size));
      expect(r.bytes).toBe(size);
      if (p === '/file') expect(r.body.equals(fs.readFileSync(path.join(dir, 'big.bin')))).toBe(true);
    });

    it('for a 206 file stream with start and end (read positionally)', async () => {
      const r = await get(port, '/slice?rate=1000&boost=100000000');
      expect(r.status).toBe(206);
      expect(r.headers['content-length']).toBe('50000');
      expect(r.body.equals(fs.readFileSync(path.join(dir, 'big.bin')).subarray(1000, 51_000))).toBe(true);
    });

    it('sends a stream of unknown length chunked, in full', async () => {
      const r = await get(port, '/stream?rate=1000000');
      expect(r.bytes).toBe(200_000);
      expect(r.headers['transfer-encoding']).toBe('chunked');
    });
  });

  describe('real time (two-sided bounds)', () => {
    it('sends a file at its BT rate after the boost', async () => {
      // 100 000 boost bytes at once, then 500 000 at 250 000 B/s: 2 s.
      const r = await get(port, '/file?rate=250000&boost=100000');
      expect(r.bytes).toBe(FILE_SIZE);
      // Upper bounds leave 3× the margin a quiet machine needs: a stuck flow still fails them.
      expect(r.ms).toBeGreaterThan(1700);
      expect(r.ms).toBeLessThan(5600);
    });

    it('shares a TrafficCap among concurrent downloads', async () => {
      // 3 × 200 000 bytes under 400 000 B/s: 1.5 s.
      const t0 = performance.now();
      const rs = await Promise.all([0, 1, 2].map(() => get(port, '/buffer?vcap=200000')));
      const ms = performance.now() - t0;
      for (const r of rs) expect(r.bytes).toBe(100_000);
      expect(ms).toBeGreaterThan(1200);
      expect(ms).toBeLessThan(4800);
    });

    it('meters sequential responses on one keep-alive connection', async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const a = await get(port, '/buffer?scap=200000', { agent });
      const b = await get(port, '/buffer?scap=200000', { agent });
      agent.destroy();
      for (const r of [a, b]) {
        expect(r.bytes).toBe(100_000);
        expect(r.ms).toBeGreaterThan(350);
        expect(r.ms).toBeLessThan(2000);
      }
    });

    it('meters a generic stream with backpressure', async () => {
      const r = await get(port, '/stream?rate=200000');
      expect(r.bytes).toBe(200_000);
      expect(r.ms).toBeGreaterThan(800);
      expect(r.ms).toBeLessThan(3100);
    });
  });

  it('reads a stream body only as far as it sends it (bounded read-ahead)', async () => {
    pulled.bytes = 0;
    let received = 0;
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/counted?rate=100000', agent: false }, (res) => {
        res.on('data', (c: Buffer) => (received += c.length));
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 1000);
      });
    });
    expect(received).toBeGreaterThan(50_000);
    expect(received).toBeLessThan(150_000);
    // The source's own buffer (16 KiB) and one chunk at most beyond what went out.
    expect(pulled.bytes).toBeLessThanOrEqual(received + 3 * 16_384);
  });

  it('reports live sessions and rates over the last second in stats()', async () => {
    const done = get(port, '/file?rate=250000&boost=100000');
    await new Promise((r) => setTimeout(r, 1300));
    const snap = engine.stats();
    await done;
    expect(snap.sessions).toHaveLength(1);
    const [s] = snap.sessions;
    expect(s!.responses).toBe(1);
    expect(s!.throttled).toBe(true);
    expect(s!.rate).toBeGreaterThan(150_000);
    expect(s!.rate).toBeLessThan(350_000);
    const v = snap.vhosts.find((x) => x.name === 'www')!;
    expect(v.activeSessions).toBe(1);
    expect(v.throttledSessions).toBe(1);
    expect(engine.stats().sessions).toHaveLength(0);
  });

  it('reports a source error to app "error" and cuts the response', async () => {
    errors.length = 0;
    await expect(get(port, '/broken?rate=1000000')).rejects.toThrow();
    expect(errors.map((e) => e.message)).toContain('disk on fire');
    expect(engine.activeSessions).toBe(0);
  });
});
