import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startExampleServer } from '../../example-app/server';
import type { ExampleServer } from '../../example-app/server';
import { describeWithTools } from '../helpers/system';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const CONF = path.join(ROOT, 'example-app', 'conf');
const MEDIA = path.join(ROOT, 'example-app', 'media');
const file = (name: string): Buffer => fs.readFileSync(path.join(MEDIA, name));

/** curl's body as bytes, and its status code from `-w`. */
async function curl(args: string[]): Promise<{ status: number; body: Buffer }> {
  const out = await run('curl', ['-sS', '--max-time', '20', '-o', '-', '-w', '\n%{http_code}', ...args], {
    encoding: 'buffer',
    maxBuffer: 8 << 20,
  });
  const nl = out.stdout.lastIndexOf(0x0a);
  return { status: Number(out.stdout.subarray(nl + 1).toString()), body: out.stdout.subarray(0, nl) };
}

describeWithTools({ curl: 'curl', ffprobe: 'ffmpeg', ffmpeg: 'ffmpeg' }, 'the example server, read by curl, ffprobe and ffmpeg', () => {
  let server: ExampleServer;
  let base: string;

  beforeAll(async () => {
    server = await startExampleServer({ conf: CONF, media: MEDIA, port: 0, statsIntervalMs: 100 });
    base = server.url.replace(/\/$/, '');
  });
  afterAll(async () => {
    await server.close();
  });

  describe('curl with Range', () => {
    // /api/media/ is never throttled (route 'no'); / follows the rules. Both must give the file's bytes.
    const cases: Array<[string, string, string, number, number]> = [
      ['/api/media/', 'sample-faststart.mp4', '0-499', 0, 499],
      ['/api/media/', 'sample-moovlast.mp4', '-500', -500, Infinity],
      ['/api/media/', 'sample.mp3', '1000-', 1000, Infinity],
      ['/', 'sample-moovlast.mp4', '-500', -500, Infinity],
      ['/', 'sample.mp3', '1000-1999', 1000, 1999],
      ['/vod/', 'sample-faststart.mp4', '100-50000', 100, 50000],
    ];
    it.each(cases)('%s%s bytes=%s gives exactly those bytes of the file', async (prefix, name, range, first, last) => {
      const data = file(name);
      const from = first < 0 ? data.length + first : first;
      const to = last === Infinity ? data.length - 1 : last;
      const r = await curl(['-r', range, `${base}${prefix}${name}`]);
      expect(r.status).toBe(206);
      expect(r.body.length).toBe(to - from + 1);
      expect(r.body.equals(data.subarray(from, to + 1))).toBe(true);
    });

    it('gives 416 with Content-Range bytes */size past the end', async () => {
      const size = file('sample.mp3').length;
      const out = await run('curl', ['-sS', '-D', '-', '-o', '/dev/null', '-r', `${size}-`, `${base}/sample.mp3`]);
      expect(out.stdout).toMatch(/^HTTP\/1\.1 416/);
      expect(out.stdout).toMatch(new RegExp(`\r\ncontent-range: bytes \\*/${size}\r\n`, 'i'));
    });

    it('sends Accept-Ranges and the whole file without Range', async () => {
      const out = await run('curl', ['-sS', '-D', '-', '-o', '/dev/null', `${base}/api/media/sample.m4a`]);
      expect(out.stdout).toMatch(/^HTTP\/1\.1 200/);
      expect(out.stdout).toMatch(/\r\naccept-ranges: bytes\r\n/i);
      expect(out.stdout).toMatch(new RegExp(`\r\ncontent-length: ${file('sample.m4a').length}\r\n`, 'i'));
    });

    it('answers traversal attempts with 404 or 400 and keeps serving', async () => {
      for (const p of ['/../package.json', '/vod/%2e%2e/%2e%2e/package.json', '/api/media/..%2f..%2fpackage.json']) {
        const r = await curl(['--path-as-is', `${base}${p}`]);
        expect([400, 404]).toContain(r.status);
        expect(r.body.toString()).not.toContain('koa-bandwidth');
      }
      expect((await curl(['-r', '0-0', `${base}/sample.mp3`])).status).toBe(206);
    });

    it('meters a request under the vhost its Host header names', async () => {
      const before = server.example.stats().vhosts.find((v) => v.name === 'media.example.test')!.bytesSent;
      const r = await curl(['-H', 'Host: cdn1.media.example.test', '-r', '0-9999', `${base}/sample.mp3`]);
      expect(r.status).toBe(206);
      const after = server.example.stats().vhosts.find((v) => v.name === 'media.example.test')!.bytesSent;
      expect(after - before).toBeGreaterThanOrEqual(10000);
    });
  });

  describe('ffprobe and ffmpeg over HTTP', () => {
    const media: Array<[string, string, string]> = [
      ['sample-faststart.mp4', 'mov,mp4,m4a,3gp,3g2,mj2', 'aac,h264'],
      ['sample-moovlast.mp4', 'mov,mp4,m4a,3gp,3g2,mj2', 'aac,h264'],
      ['sample.mp3', 'mp3', 'mp3'],
    ];

    it.each(media)('ffprobe reads %s as served at /vod/', async (name, format, codecs) => {
      const out = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name,duration:stream=codec_name', '-of', 'json', `${base}/vod/${name}`]);
      const info = JSON.parse(out.stdout) as { format: { format_name: string; duration: string }; streams: Array<{ codec_name: string }> };
      expect(out.stderr).toBe('');
      expect(info.format.format_name).toBe(format);
      expect(Number(info.format.duration)).toBeGreaterThan(23.5);
      expect(Number(info.format.duration)).toBeLessThan(24.5);
      expect(info.streams.map((s) => s.codec_name).sort().join(',')).toBe(codecs);
    });

    it('ffmpeg decodes every one of them in full, throttled, without an error', async () => {
      // In parallel: each is its own session; together they share the vhost cap.
      const results = await Promise.all(
        media.map(([name]) => run('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-i', `${base}/api/media/${name}`, '-f', 'null', '-'], { timeout: 60000 })),
      );
      for (const r of results) expect(r.stderr).toBe('');
    }, 90000);
  });
});
