import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { explainCommand } from '../../lib/cli/explain';
import { run } from './cli';

const root = path.join(__dirname, '..', '..');
const conf = path.join(root, 'test', 'fixtures', 'conf', 'valid');

async function explain(args: string[]): Promise<Record<string, unknown>> {
  const r = await run(['explain', '--conf', conf, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.endsWith('\n')).toBe(true);
  return JSON.parse(r.stdout);
}

const KEYS = ['vhost', 'throttle', 'rule', 'bandwidthKbps', 'ratio', 'boostSeconds', 'boostBytes', 'dynamic', 'sessionCapKbps', 'trafficCapMbps', 'url', 'ignored', 'clamped', 'client', 'session'];

describe('koa-bandwidth explain', () => {
  it('prints exactly the docs/spec.md §7 fields', async () => {
    expect(Object.keys(await explain(['--url', '/a.mp4']))).toEqual(KEYS);
  });

  it.each<[string, string[], Record<string, unknown>]>([
    ['$IP[192.168.1.1], 2000, 150, 3', ['--url', '/a.mp4', '--ip', '192.168.1.1'], { vhost: 'www.example.com', throttle: true, rule: { line: 5, text: '$IP[192.168.1.1], 2000, 150, 3' }, bandwidthKbps: 3000, ratio: 150, boostSeconds: 3, boostBytes: 1_125_000, dynamic: false, sessionCapKbps: 0, trafficCapMbps: 0, url: '/a.mp4' }],
    ['!HEADER[referer], 800', ['--url', '/a.mp4', '--host', 'www.example.com'], { throttle: true, rule: { line: 8, text: '!HEADER[referer], 800' }, bandwidthKbps: 800, ratio: 100, boostSeconds: 5, boostBytes: 500_000 }],
    ['HEADER[cookie], , , 10', ['--url', '/a.mp4', '--header', 'Referer: r', '--header', 'Cookie: a=1'], { rule: { line: 11, text: 'HEADER[cookie], , , 10' }, bandwidthKbps: 1000, boostSeconds: 10, boostBytes: 1_250_000 }],
    ['$URL[*.m4a], no', ['--url', '/a.m4a', '--header', 'Referer: r'], { throttle: false, rule: { line: 14, text: '$URL[*.m4a], no' }, bandwidthKbps: null, boostBytes: 0 }],
    ['$URL[/vod/*.mp4], 1000x, 120, 5', ['--url', 'http://vod.example.com/vod/a.mp4', '--header', 'User-Agent: ua'], { vhost: 'vod.example.com', dynamic: true, bandwidthKbps: 1200, ratio: 120, sessionCapKbps: 2000, trafficCapMbps: 50 }],
    ['!HEADER[user-agent], 500x', ['--url', '/a.mp4', '--host', 'vod.example.com'], { dynamic: true, bandwidthKbps: 500, rule: { line: 5, text: '!HEADER[user-agent], 500x' } }],
    ['$URL[/low_quality/*], x, 200', ['--url', '/low_quality/a.mp4', '--host', 'vod.example.com', '--header', 'User-Agent: ua'], { dynamic: true, bandwidthKbps: 2000, ratio: 200 }],
    ['?myboost=10&mybandwidth=1&myratio=130', ['--url', 'http://www.winesoft.co.kr/video/sample.wmv?myboost=10&mybandwidth=1&myratio=130'], { vhost: 'www.winesoft.co.kr', throttle: true, rule: null, bandwidthKbps: 1300, ratio: 130, boostSeconds: 10, url: '/video/sample.wmv' }],
    ['?myratio=150', ['--url', 'http://www.winesoft.co.kr/video/sample.wmv?myratio=150'], { bandwidthKbps: 3000, ratio: 150, boostSeconds: 3, url: '/video/sample.wmv' }],
    ['?mybandwidth=2000&myratio=130&myboost=10', ['--url', '/video.mp4?mybandwidth=2000&myratio=130&myboost=10', '--host', 'www.winesoft.co.kr'], { url: '/video.mp4' }],
    ['?tag=3277&myboost=10&date=20130726', ['--url', '/video.mp4?tag=3277&myboost=10&date=20130726', '--host', 'www.winesoft.co.kr'], { url: '/video.mp4?tag=3277&date=20130726', boostSeconds: 10, bandwidthKbps: 2000 }],
  ])('explains %s', async (_what, args, want) => {
    expect(await explain(args)).toMatchObject(want);
  });

  it('probes --file for x rates', async () => {
    const seen: string[] = [];
    let out = '';
    const code = await explainCommand(['--conf', conf, '--url', '/vod/a.mp4', '--host', 'vod.example.com', '--header', 'User-Agent: ua', '--file', '/media/a.mp4'], { stdout: (t) => void (out += t), stderr: () => {} }, {
      probe: async (file) => {
        seen.push(file);
        return { bitrate: 2_500_000 };
      },
    });
    expect(code).toBe(0);
    expect(seen).toEqual(['/media/a.mp4']);
    expect(JSON.parse(out)).toMatchObject({ dynamic: true, bandwidthKbps: 3000, boostBytes: 1_875_000 });
  });

  it('keeps the fallback when the probe finds no rate', async () => {
    let out = '';
    await explainCommand(['--conf', conf, '--url', '/vod/a.mp4', '--host', 'vod.example.com', '--header', 'User-Agent: ua', '--file', 'x.mp4'], { stdout: (t) => void (out += t), stderr: () => {} }, { probe: async () => ({ bitrate: null }) });
    expect(JSON.parse(out)).toMatchObject({ dynamic: true, bandwidthKbps: 1200 });
  });

  describe('query values it does not take as written', () => {
    it('lists each ignored one with its reason; the field falls back to <Settings>', async () => {
      const out = await explain(['--url', 'http://www.winesoft.co.kr/v.mp4?mybandwidth=0&myratio=0x10&myboost=5&myboost=6&a=1']);
      expect(out).toMatchObject({ throttle: false, bandwidthKbps: null, url: '/v.mp4?a=1', clamped: [] });
      expect(out.ignored).toEqual([
        { param: 'mybandwidth', value: '0', reason: 'not above 0' },
        { param: 'myratio', value: '0x10', reason: 'not a plain decimal number' },
        { param: 'myboost', value: ['5', '6'], reason: 'repeated' },
      ]);
    });

    it('keeps BT from <Settings> when a good value is beside a bad one', async () => {
      const out = await explain(['--url', 'http://www.winesoft.co.kr/v.mp4?mybandwidth=0&myratio=50']);
      expect(out).toMatchObject({ throttle: true, bandwidthKbps: 1000, ratio: 50, ignored: [{ param: 'mybandwidth', value: '0', reason: 'not above 0' }] });
    });

    it('lists clamped ones', async () => {
      const out = await explain(['--url', 'http://www.winesoft.co.kr/v.mp4?myboost=99999']);
      expect(out).toMatchObject({ boostSeconds: 600, clamped: [{ param: 'myboost', value: '99999', reason: 'above limits.boost (600)' }] });
    });
  });

  it('takes the host from a Host header too', async () => {
    expect((await explain(['--url', '/a.mp4', '--header', 'Host: www.winesoft.co.kr'])).vhost).toBe('www.winesoft.co.kr');
  });

  it('uses the <Default> vhost when no host is given', async () => {
    expect((await explain(['--url', '/a?x=1'])).vhost).toBe('www.example.com');
  });

  it('prints a null vhost and no BT for a host that matches nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-explain-'));
    try {
      writeFileSync(path.join(dir, 'server.xml'), '<Server/>');
      writeFileSync(path.join(dir, 'vhosts.xml'), '<Vhosts><Vhost Name="a.test"/></Vhosts>');
      const r = await run(['explain', '--conf', dir, '--url', '/a?x=1', '--host', 'b.test']);
      expect(JSON.parse(r.stdout)).toEqual({ vhost: null, throttle: false, rule: null, bandwidthKbps: null, ratio: 100, boostSeconds: 0, boostBytes: 0, dynamic: false, sessionCapKbps: 0, trafficCapMbps: 0, url: '/a?x=1', ignored: [], clamped: [], client: { ip: '127.0.0.1', source: 'socket', via: null }, session: { key: 'default', id: null } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with the errors on a broken config', async () => {
    const r = await run(['explain', '--conf', path.join(root, 'test', 'fixtures', 'conf', 'bad-ip'), '--url', '/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/throttling\.txt:2:5: bad IP/);
  });

  it.each([[['--url', '/']], [['--conf', conf]], [['--conf', conf, '--url', '/', '--header', 'nocolon']]])('exits 2 on bad usage %j', async (args) => {
    expect((await run(['explain', ...args])).code).toBe(2);
  });

  it('runs from the real bin', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'koa-bandwidth.js'), 'explain', '--conf', conf, '--url', 'http://www.winesoft.co.kr/v.mp4?myratio=150&a=1'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ vhost: 'www.winesoft.co.kr', throttle: true, rule: null, bandwidthKbps: 3000, ratio: 150, boostSeconds: 3, boostBytes: 1_125_000, dynamic: false, sessionCapKbps: 0, trafficCapMbps: 0, url: '/v.mp4?a=1', ignored: [], clamped: [], client: { ip: '127.0.0.1', source: 'socket', via: null }, session: { key: 'default', id: null } });
  });

  describe('the client address and the session', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-explain-'));
      writeFileSync(path.join(dir, 'server.xml'), '<Server><TrustedProxies><Proxy>10.0.0.0/8</Proxy></TrustedProxies><VHostDefault><Options><SessionKey>ip</SessionKey></Options></VHostDefault></Server>');
      writeFileSync(path.join(dir, 'vhosts.xml'), '<Vhosts><Vhost Name="a.test"><Options><SessionKey>cookie:sid</SessionKey></Options></Vhost><Vhost Name="b.test"/><Vhost Name="c.test"><Options><SessionKey>viewer</SessionKey><Viewer Param="token"/></Options></Vhost><Default>b.test</Default></Vhosts>');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const explainIn = async (args: string[]) => JSON.parse((await run(['explain', '--conf', dir, ...(args.includes('--url') ? [] : ['--url', '/a']), ...args])).stdout);

    it.each<[string, string[], Record<string, unknown>]>([
      ['the peer, when it is not a trusted proxy', ['--ip', '198.51.100.1', '--header', 'X-Forwarded-For: 192.168.1.1'], { client: { ip: '198.51.100.1', source: 'socket', via: null }, session: { key: 'ip', id: 'ip:198.51.100.1' } }],
      ['the hop a trusted proxy reported, and which proxy', ['--ip', '10.0.0.2', '--header', 'X-Forwarded-For: 203.0.113.7, 10.1.1.1'], { client: { ip: '203.0.113.7', source: 'x-forwarded-for', via: '10.1.1.1' }, session: { key: 'ip', id: 'ip:203.0.113.7' } }],
      ['a cookie session, hashed', ['--host', 'a.test', '--header', 'Cookie: sid=abc'], { session: { key: 'cookie:sid', id: expect.stringMatching(/^cookie:sid#[\w-]{16}$/) } }],
      ['a cookie session without the cookie: the connection', ['--host', 'a.test'], { session: { key: 'cookie:sid', id: null } }],
      ['a viewer session', ['--host', 'c.test', '--url', '/a?token=xyz'], { session: { key: 'viewer', id: 'v:xyz' } }],
    ])('%s', async (_name, args, want) => {
      expect(await explainIn(args)).toMatchObject(want);
    });
  });

  it('feeds --method and --type to METHOD and MIME rules', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-explain-'));
    try {
      writeFileSync(path.join(dir, 'server.xml'), '<Server/>');
      writeFileSync(path.join(dir, 'vhosts.xml'), '<Vhosts><Vhost Name="a.test"><Options><BandwidthThrottling><Throttling>ON</Throttling></BandwidthThrottling></Options></Vhost><Default>a.test</Default></Vhosts>');
      mkdirSync(path.join(dir, 'svc', 'a.test'), { recursive: true });
      writeFileSync(path.join(dir, 'svc', 'a.test', 'throttling.txt'), '$METHOD[POST], no\n$MIME[video/*], 800\n');
      const go = async (args: string[]) => JSON.parse((await run(['explain', '--conf', dir, '--url', '/a', ...args])).stdout).rule?.line ?? null;
      expect(await go(['--method', 'post'])).toBe(1);
      expect(await go(['--type', 'video/mp4; codecs=avc1'])).toBe(2);
      expect(await go([])).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
