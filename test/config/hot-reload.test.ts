import { cpSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { bandwidth, ConfigErrors, type BandwidthConfig } from '../../lib/index';
import { until, waitFor } from '../observe/http-client';

const fixture = path.join(__dirname, '..', 'fixtures', 'conf', 'valid');
const rulesFile = (dir: string): string => path.join(dir, 'svc', 'www.example.com', 'throttling.txt');

/** Write atomically, as deploy tools do, so a reader never sees half a file. */
function writeRules(dir: string, text: string): void {
  const tmp = `${rulesFile(dir)}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, rulesFile(dir));
}

function getJson(port: number): Promise<{ status: number; body: { rate: number | null } }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/a.mp4', headers: { host: 'www.example.com' }, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
    });
    req.on('error', reject);
  });
}

describe('hot reload of the config directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-reload-'));
    cpSync(fixture, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the old rules on a broken change, takes a fixed one, and fails no request meanwhile', async () => {
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (_o: unknown, msg?: string) => void logged.push(msg ?? '') };
    const bw = bandwidth({ conf: dir, watch: { debounceMs: 20 }, logger });
    const app = new Koa();
    app.use(bw);
    app.use((ctx) => {
      ctx.body = { rate: ctx.bandwidth?.plan.rate ?? null };
    });
    const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;

    // A steady stream of requests for the whole test: 4 clients in a loop.
    const rates: (number | null)[] = [];
    const failures: string[] = [];
    let running = true;
    const clients = Array.from({ length: 4 }, async () => {
      while (running) {
        try {
          const { status, body } = await getJson(port);
          if (status !== 200) failures.push(`status ${status}`);
          else rates.push(body.rate);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    });
    const next = (event: 'reload' | 'error'): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${event} event within 15 s`)), 15_000);
        bw.events.once(event, (v) => {
          clearTimeout(t);
          resolve(v);
        });
      });

    try {
      await new Promise((r) => setTimeout(r, 100));
      expect((await getJson(port)).body.rate).toBe(100_000); // !HEADER[referer], 800 Kbps

      const rejected = next('error');
      writeRules(dir, '!HEADER[referer], 600\n$BOGUS[x], 1\n');
      const err = await rejected;
      expect(err).toBeInstanceOf(ConfigErrors);
      expect((err as ConfigErrors).errors.map((e) => e.format())).toEqual([
        `${path.join('svc', 'www.example.com', 'throttling.txt')}:2:2: unknown condition kind "BOGUS"; expected IP, HEADER, URL, PROTOCOL, METHOD or MIME`,
      ]);
      expect(logged.some((m) => /previous config stays in force/.test(m))).toBe(true);
      expect((await getJson(port)).body.rate).toBe(100_000);

      const reloaded = next('reload');
      writeRules(dir, '!HEADER[referer], 600\n');
      const config = (await reloaded) as BandwidthConfig;
      expect(config.vhosts[0]?.rules[0]?.text).toBe('!HEADER[referer], 600');
      expect((await getJson(port)).body.rate).toBe(75_000);
      // Enough requests ran, some of them on the new rule (a count, not a time: a busy
      // machine serves fewer per 100 ms).
      await until(() => rates.length > 20 && rates.filter((r) => r === 75_000).length >= 3, 10_000);
    } finally {
      running = false;
      await Promise.all(clients);
      await bw.close();
      await new Promise((r) => server.close(r));
    }
    expect(failures).toEqual([]);
    expect(rates.length).toBeGreaterThan(20);
    // Every response saw either the old or the new rule, never anything else.
    expect(new Set(rates)).toEqual(new Set([100_000, 75_000]));
  });

  it('reload() rejects a bad config with ConfigErrors and keeps the old one', async () => {
    const bw = bandwidth({ conf: dir, watch: false });
    const before = bw.config;
    writeFileSync(path.join(dir, 'vhosts.xml'), '<Vhosts><Vhost Name="a"></Vhosts>');
    await expect(bw.reload()).rejects.toBeInstanceOf(ConfigErrors);
    expect(bw.config).toBe(before);
    writeFileSync(path.join(dir, 'vhosts.xml'), '<Vhosts><Vhost Name="only.test"/></Vhosts>');
    await expect(bw.reload()).resolves.toMatchObject({ vhosts: [{ name: 'only.test' }] });
    expect(bw.config.vhosts.map((v) => v.name)).toEqual(['only.test']);
  });

  it('stops watching after close()', async () => {
    const bw = bandwidth({ conf: dir, watch: { debounceMs: 10 } });
    let reloads = 0;
    bw.events.on('reload', () => reloads++);
    await bw.close();
    writeRules(dir, '*, 1\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(reloads).toBe(0);
  });

  it('watches a vhost directory created after startup', async () => {
    const bw = bandwidth({ conf: dir, watch: { debounceMs: 20 } });
    const seen: BandwidthConfig[] = [];
    bw.events.on('reload', (c: BandwidthConfig) => seen.push(c));
    try {
      writeFileSync(path.join(dir, 'vhosts.xml'), '<Vhosts><Vhost Name="new.test"><Options><BandwidthThrottling><Throttling>ON</Throttling></BandwidthThrottling></Options></Vhost></Vhosts>');
      await waitFor(() => seen.length > 0);
      cpSync(path.join(fixture, 'svc', 'www.example.com'), path.join(dir, 'svc', 'new.test'), { recursive: true });
      await waitFor(() => (bw.config.vhosts[0]?.rules.length ?? 0) > 0);
      writeFileSync(path.join(dir, 'svc', 'new.test', 'throttling.txt'), '*, 7\n');
      await waitFor(() => bw.config.vhosts[0]?.rules.length === 1);
      expect(bw.config.vhosts[0]?.rules[0]?.text).toBe('*, 7');
    } finally {
      await bw.close();
    }
  });
});

