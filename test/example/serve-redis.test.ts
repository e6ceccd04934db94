import http from 'node:http';
import path from 'node:path';
import { serveCommand } from '../../lib/cli/serve';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { describeWithTools } from '../helpers/system';

const ROOT = path.join(__dirname, '..', '..');
const CONF = path.join(ROOT, 'example-app', 'conf');
const MEDIA = path.join(ROOT, 'example-app', 'media');

const waitFor = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
    }).on('error', reject);
  });
}

describeWithTools({ 'redis-server': 'redis-server' }, 'koa-bandwidth serve --redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('shares the vhost TrafficCap through Redis', async () => {
    const ac = new AbortController();
    const out: string[] = [];
    const err: string[] = [];
    const running = serveCommand(['--conf', CONF, '--media', MEDIA, '--port', '0', '--redis', redis.url], {
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      signal: ac.signal,
    });
    await waitFor(() => out.join('').includes('listening on'));
    expect(out.join('')).toMatch(/TrafficCap shared through (node-redis|ioredis) at redis:/);
    const url = /listening on (\S+)/.exec(out.join(''))![1]!;
    // localhost has a 1.5 Mbps TrafficCap: the sample MP3 (144 KB) takes leases from Redis.
    const before = await redis.calls('evalsha', 'eval');
    expect(await get(`${url}sample.mp3`)).toBe(144398);
    expect((await redis.calls('evalsha', 'eval')) - before).toBeGreaterThan(0);
    expect(await redis.command('EXISTS', '{kb:localhost}:lease')).toMatch(/1/);
    ac.abort();
    expect(await running).toBe(0);
    expect(err.join('')).toBe('');
  });

  it('exits 1 for a URL no client can use', async () => {
    const err: string[] = [];
    const code = await serveCommand(['--conf', CONF, '--media', MEDIA, '--port', '0', '--redis', 'not a url'], { stdout: () => undefined, stderr: (t) => void err.push(t) });
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/--redis not a url: /);
  });
});
