import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import request from 'supertest';
import { bandwidth, route, type Logger } from '../../lib/index';
import { run } from '../cli/cli';
import { spawnSync } from 'node:child_process';

/**
 * Run a script in a fresh Node process, on the built package (`npm test` builds first), and
 * return its stderr: Node's own warnings print there, as a user sees them.
 */
function node(script: string): string {
  const r = spawnSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout: 20000 });
  expect(r.status).toBe(0);
  return r.stderr;
}

/** A logger that keeps its warnings. */
function recorder(): { logger: Logger; warnings: Array<{ code: string; msg: string }> } {
  const warnings: Array<{ code: string; msg: string }> = [];
  const noop = (): void => {};
  return { warnings, logger: { debug: noop, info: noop, error: noop, warn: (obj, msg) => void warnings.push({ code: (obj as { code: string }).code, msg: msg ?? '' }) } };
}

/** A config directory in a temp dir: `files` by relative path. */
function confDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-noop-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const twoVhosts = (extra = ''): string => `<Vhosts><Vhost Name="a.test"/><Vhost Name="b.test"/>${extra}</Vhosts>`;
const oneVhost = '<Vhosts><Vhost Name="localhost"/></Vhosts>';
const on = '<Server><VHostDefault><Options><BandwidthThrottling><Throttling>ON</Throttling></BandwidthThrottling></Options></VHostDefault></Server>';
/** A server.xml that leaves <Throttling> at its default. */
const plain = '<Server><VHostDefault><Options><TrafficCap>0</TrafficCap></Options></VHostDefault></Server>';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Each trap of the first hour, and what now says so. `files` is a config directory; the
 * warning must reach the logger once at startup and be listed by `check`.
 */
const CONFIG_CASES: Array<[string, Record<string, string>, string, RegExp]> = [
  [
    'rules in a config directory that leaves <Throttling> at its default OFF',
    { 'server.xml': plain, 'vhosts.xml': twoVhosts(), 'svc/a.test/throttling.txt': '*.mp4, 500\n' },
    'THROTTLING_OFF',
    /svc\/a\.test\/throttling\.txt:0:0: warning: vhost "a\.test" has 1 rule, but <Throttling> is OFF by default, so none of them applies/,
  ],
  [
    "an Nx bandwidth that reads like a ratio ('1.2x')",
    { 'server.xml': on, 'vhosts.xml': twoVhosts(), 'svc/a.test/throttling.txt': '# vod\n$URL[/vod/*.mp4], 1.2x\n' },
    'NX_TOO_SMALL',
    /svc\/a\.test\/throttling\.txt:2:19: warning: "1\.2x" means the media's encoding rate, or 1\.2 kbps when it is unknown; did you mean a ratio \("x, 120": 120 % of the media rate\)\?/,
  ],
  [
    "an Nx of 9 in kbps (the largest 'N < 10')",
    { 'server.xml': on, 'vhosts.xml': twoVhosts(), 'svc/a.test/throttling.txt': '*, 9x, 100\n' },
    'NX_TOO_SMALL',
    /throttling\.txt:1:4: warning: "9x" means .* or 9 kbps .*did you mean a ratio \("x, 900"/,
  ],
  [
    'one vhost and no <Default>',
    { 'server.xml': plain, 'vhosts.xml': oneVhost },
    'ONE_VHOST_NO_DEFAULT',
    /vhosts\.xml:0:0: warning: one vhost \("localhost"\) and no <Default>: requests for any other host \(127\.0\.0\.1\) pass through unmetered/,
  ],
];

describe('no silent no-ops', () => {
  describe.each(CONFIG_CASES)('%s', (_what, files, code, message) => {
    let dir: string;
    beforeAll(() => {
      dir = confDir(files);
      dirs.push(dir);
    });

    it('is reported once to the logger at startup, and not again on reload', async () => {
      const { logger, warnings } = recorder();
      const bw = bandwidth({ conf: dir, watch: false, logger });
      expect(warnings.filter((w) => w.code === code)).toHaveLength(1);
      expect(warnings.find((w) => w.code === code)?.msg).toMatch(message);
      await bw.reload();
      expect(warnings.filter((w) => w.code === code)).toHaveLength(1);
      await bw.close();
    });

    it('is listed by `check`, which still exits 0', async () => {
      const r = await run(['check', '--conf', dir]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(message);
      expect(r.stdout).toMatch(/OK \(.*\d+ warnings?\)/);
    });
  });

  it.each<[string, Record<string, string>]>([
    ['an Nx of 10 kbps', { 'server.xml': on, 'vhosts.xml': twoVhosts(), 'svc/a.test/throttling.txt': '*, 10x\n' }],
    ['1x in a vhost whose unit is mbps', { 'server.xml': on.replace('<BandwidthThrottling>', '<BandwidthThrottling><Settings><Bandwidth Unit="mbps">2</Bandwidth></Settings>'), 'vhosts.xml': twoVhosts(), 'svc/a.test/throttling.txt': '*, 1x, 120\n' }],
    ['rules with <Throttling> written OFF', { 'server.xml': on.replace('>ON<', '>OFF<'), 'vhosts.xml': twoVhosts(), 'svc/a.test/throttling.txt': '*, 500\n' }],
    ['one vhost with a <Default>', { 'server.xml': plain, 'vhosts.xml': '<Vhosts><Vhost Name="localhost"/><Default>localhost</Default></Vhosts>' }],
  ])('says nothing for %s', async (_what, files) => {
    const dir = confDir(files);
    dirs.push(dir);
    const { logger, warnings } = recorder();
    await bandwidth({ conf: dir, watch: false, logger }).close();
    expect(warnings).toEqual([]);
    expect((await run(['check', '--conf', dir])).stdout).not.toMatch(/warning/);
  });

  it("reports a warning a reload brings as a 'warning' event, once", async () => {
    const dir = confDir({ 'server.xml': on, 'vhosts.xml': twoVhosts(), 'svc/a.test/throttling.txt': '*, 500\n' });
    dirs.push(dir);
    const { logger, warnings } = recorder();
    const bw = bandwidth({ conf: dir, watch: false, logger });
    const events: string[] = [];
    bw.on('warning', (w) => void events.push(`${w.code} ${w.file}:${w.line}:${w.column}`));
    expect(warnings).toEqual([]);
    fs.writeFileSync(path.join(dir, 'svc', 'a.test', 'throttling.txt'), '*, 500\n*.mp4, 2x\n');
    await bw.reload();
    await bw.reload();
    expect(events).toEqual([`NX_TOO_SMALL ${path.join('svc', 'a.test', 'throttling.txt')}:2:8`]);
    expect(warnings.map((w) => w.code)).toEqual(['NX_TOO_SMALL']);
    await bw.close();
  });

  describe('a plain config with rules and no `throttling`', () => {
    const config = { vhosts: [{ name: 'a.test', rules: '*.mp4, 800kbps, 100, 0' }], default: 'a.test' };

    it('throttles by its rules: throttling defaults to on when rules are given', async () => {
      const { logger, warnings } = recorder();
      const app = new Koa();
      app.use(bandwidth({ config, logger }));
      app.use((ctx) => void (ctx.body = ctx.bandwidth?.plan ?? null));
      const plan = await request(app.callback()).get('/a.mp4').expect(200).then((r) => r.body);
      expect(plan).toMatchObject({ throttle: true, rate: 100_000 });
      expect(warnings).toEqual([]);
    });

    it('still follows a `throttling: false` written out', async () => {
      const app = new Koa();
      app.use(bandwidth({ config: { ...config, vhosts: [{ ...config.vhosts[0]!, options: { throttling: false } }] } }));
      app.use((ctx) => void (ctx.body = ctx.bandwidth?.plan ?? null));
      expect(await request(app.callback()).get('/a.mp4').then((r) => r.body)).toMatchObject({ throttle: false });
    });
  });

  describe('a request for a host that no vhost matches, on a one-vhost config', () => {
    const config = { vhosts: [{ name: 'localhost', rules: '*, 500kbps' }] };

    it('passes through, and the logger hears of it once', async () => {
      const { logger, warnings } = recorder();
      const app = new Koa();
      app.use(bandwidth({ config, logger }));
      app.use((ctx) => void (ctx.body = 'ok'));
      for (const host of ['127.0.0.1', '127.0.0.1', 'other.test']) await request(app.callback()).get('/a.mp4').set('Host', host).expect(200);
      const unknown = warnings.filter((w) => w.code === 'UNKNOWN_HOST');
      expect(unknown).toHaveLength(1);
      expect(unknown[0]?.msg).toMatch(/a request for host "127\.0\.0\.1" matched no vhost and passed through unmetered; the config has one vhost \("localhost"\) and no <Default>/);
    });

    it('says nothing when the config has two vhosts (the other host may be meant to pass)', async () => {
      const { logger, warnings } = recorder();
      const app = new Koa();
      app.use(bandwidth({ config: { vhosts: [...config.vhosts, { name: 'b.test' }] }, logger }));
      app.use((ctx) => void (ctx.body = 'ok'));
      await request(app.callback()).get('/a.mp4').set('Host', '127.0.0.1').expect(200);
      expect(warnings.filter((w) => w.code === 'UNKNOWN_HOST')).toEqual([]);
    });

    it('cuts a long hostile Host short and quotes it', async () => {
      const { logger, warnings } = recorder();
      const app = new Koa();
      app.use(bandwidth({ config, logger }));
      app.use((ctx) => void (ctx.body = 'ok'));
      await request(app.callback()).get('/').set('Host', `${'x'.repeat(5000)}.test`).expect(200);
      const msg = warnings.find((w) => w.code === 'UNKNOWN_HOST')?.msg ?? '';
      expect(msg).toMatch(/host "x{100}" matched/);
      expect(msg.length).toBeLessThan(400);
    });
  });

  describe('route() mounted without bandwidth()', () => {
    function app(withBandwidth: boolean, warn: (code: string, message: string) => void): Koa {
      const a = new Koa();
      if (withBandwidth) a.use(bandwidth({ config: { vhosts: [{ name: 'a.test' }] } }));
      const router = new Router();
      router.get('/vod/:f', route({ bandwidth: '400kbps' }, { warn }), (ctx) => void (ctx.body = 'ok'));
      a.use(router.routes());
      return a;
    }

    it('warns once, naming the route and the fix', async () => {
      const seen: Array<[string, string]> = [];
      const a = app(false, (code, message) => void seen.push([code, message]));
      await request(a.callback()).get('/vod/a.mp4').expect(200);
      await request(a.callback()).get('/vod/b.mp4').expect(200);
      expect(seen).toEqual([['ROUTE_WITHOUT_BANDWIDTH', expect.stringMatching(/route\(\) on GET \/vod\/a\.mp4 ran without bandwidth\(\) before it, so its override does nothing; app\.use\(bandwidth\(\.\.\.\)\) before the router/)]]);
    });

    it.each(['a.test', 'unknown.test'])('says nothing when bandwidth() ran first (host %s)', async (host) => {
      const seen: unknown[] = [];
      await request(app(true, (...w) => void seen.push(w)).callback()).get('/vod/a.mp4').set('Host', host).expect(200);
      expect(seen).toEqual([]);
    });

    it("warns through Node's process warnings by default (stderr, once)", () => {
      const stderr = node(`
        const Koa = require('koa'); const Router = require('@koa/router'); const http = require('node:http');
        const { route } = require('koa-bandwidth');
        const app = new Koa(); const router = new Router();
        router.get('/x', route({ bandwidth: 'no' }), (ctx) => { ctx.body = 'ok'; });
        app.use(router.routes());
        const server = app.listen(0, '127.0.0.1', async () => {
          const url = 'http://127.0.0.1:' + server.address().port + '/x';
          for (let i = 0; i < 3; i++) await (await fetch(url)).text();
          server.close();
        });`);
      expect(stderr.match(/\[KOA_BANDWIDTH_ROUTE_WITHOUT_BANDWIDTH\] Warning: route\(\) on GET \/x ran without bandwidth\(\)/g)).toHaveLength(1);
    });
  });

  it("sends config warnings to Node's process warnings (stderr) when no logger is given", () => {
    const stderr = node(`
      const { bandwidth } = require('koa-bandwidth');
      bandwidth({ config: { vhosts: [{ name: 'solo.test' }] } }).close();
      bandwidth({ config: { vhosts: [{ name: 'solo.test' }] } }).close();`);
    expect(stderr.match(/\[KOA_BANDWIDTH_ONE_VHOST_NO_DEFAULT\] Warning: <options>:0:0: warning: one vhost \("solo\.test"\) and no <Default>/g)).toHaveLength(1);
  });
});
