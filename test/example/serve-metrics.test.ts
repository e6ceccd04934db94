import http from 'node:http';
import path from 'node:path';
import { serveCommand } from '../../lib/cli/serve';

// The metrics of docs/observability.md through `serve`: after real downloads, koa_bandwidth_sent_bytes_total for the vhost
// equals the bytes the clients received.
const ROOT = path.join(__dirname, '..', '..');
const CONF = path.join(ROOT, 'example-app', 'conf');
const MEDIA = path.join(ROOT, 'example-app', 'media');

function get(url: string): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, bytes: body.length, text: body.toString('utf8') });
      });
    }).on('error', reject);
  });
}

const metric = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  if (!line) throw new Error(`no series ${series}`);
  return Number(line.slice(series.length + 1));
};

describe('koa-bandwidth serve metrics', () => {
  it('counts exactly the bytes the clients received, per configured vhost', async () => {
    const ac = new AbortController();
    const out: string[] = [];
    const running = serveCommand(['--conf', CONF, '--media', MEDIA, '--port', '0'], { stdout: (t) => void out.push(t), stderr: () => undefined, signal: ac.signal });
    for (let i = 0; i < 250 && !out.join('').includes('listening on'); i++) await new Promise((r) => setTimeout(r, 20));
    const url = /listening on (\S+)/.exec(out.join(''))![1]!;
    const before = metric((await get(`${url}_bandwidth/metrics`)).text, 'koa_bandwidth_sent_bytes_total{vhost="localhost"}');
    // A metered download (the vhost's TrafficCap applies), an unthrottled API file, a route
    // with a fixed rate, and a 404 page: every body byte counts.
    const got = await Promise.all([get(`${url}sample.mp3`), get(`${url}api/media/sample.m4a`), get(`${url}download/sample.mp3`), get(`${url}no-such-file.mp4`)]);
    expect(got.map((g) => g.status)).toEqual([200, 200, 200, 404]);
    const received = got.reduce((n, g) => n + g.bytes, 0);
    const after = metric((await get(`${url}_bandwidth/metrics`)).text, 'koa_bandwidth_sent_bytes_total{vhost="localhost"}');
    expect(after - before).toBeGreaterThanOrEqual(received * 0.999);
    expect(after - before).toBeLessThanOrEqual(received * 1.001);
    ac.abort();
    expect(await running).toBe(0);
  }, 30000);
});
