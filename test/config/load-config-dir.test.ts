import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigDir } from '../../lib/config/load-config-dir';
import { ConfigErrors } from '../../lib/errors';

const fixtures = path.join(__dirname, '..', 'fixtures', 'conf');

function errorsOf(dir: string, geoip = false): string[] {
  try {
    loadConfigDir(dir, { geoip });
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.format());
    throw e;
  }
  throw new Error('expected ConfigErrors');
}

/** A temp config dir with these files, and an empty `<Server/>` unless one is given (`null`: none). */
function tempConf(files: Record<string, string | null>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-conf-'));
  for (const [name, text] of Object.entries({ 'server.xml': '<Server/>', ...files })) {
    if (text === null) continue;
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('loadConfigDir', () => {
  describe('the valid fixture', () => {
    const config = loadConfigDir(path.join(fixtures, 'valid'), { geoip: false });
    const byName = Object.fromEntries(config.vhosts.map((v) => [v.name, v]));

    it('reads every vhost, alias and the default', () => {
      expect(config.vhosts.map((v) => v.name)).toEqual(['www.example.com', 'vod.example.com', 'www.winesoft.co.kr']);
      expect(byName['www.example.com']?.aliases).toEqual(['example.com', '*.cdn.example.com']);
      expect(config.defaultVhost).toBe('www.example.com');
    });

    it('inherits VHostDefault and overrides element by element', () => {
      expect(byName['www.example.com']).toMatchObject({ throttling: true, queryString: false, trafficCap: 0, sessionCap: 0, settings: { bandwidth: 125_000, unit: 'kbps', ratio: 100, boost: 5, params: {} } });
      expect(byName['vod.example.com']).toMatchObject({ trafficCap: 6_250_000, sessionCap: 250_000, caseSensitive: false });
      expect(byName['www.winesoft.co.kr']).toMatchObject({ queryString: true, settings: { bandwidth: 250_000, unit: 'mbps', boost: 3, params: { bandwidth: 'mybandwidth', ratio: 'myratio', boost: 'myboost' } } });
    });

    it('compiles each vhost rule list with its line numbers', () => {
      expect(byName['www.example.com']?.rules.map((r) => r.line)).toEqual([5, 8, 11, 14]);
      expect(byName['vod.example.com']?.rules.map((r) => r.text)).toEqual(['$URL[/vod/*.mp4], 1000x, 120, 5', '!HEADER[user-agent], 500x', '$URL[/low_quality/*], x, 200']);
      expect(byName['www.winesoft.co.kr']?.rules).toEqual([]);
    });
  });

  it('inherits attribute by attribute: a vhost Unit keeps the default number and Param', () => {
    const dir = tempConf({
      'server.xml': '<Server><VHostDefault><Options><TrafficCap Session="100">10</TrafficCap><BandwidthThrottling><Settings><Bandwidth Unit="kbps" Param="bw">8</Bandwidth></Settings></BandwidthThrottling></Options></VHostDefault></Server>',
      'vhosts.xml': '<Vhosts><Vhost Name="a"><Options><TrafficCap Session="200"/><BandwidthThrottling><Settings><Bandwidth Unit="kb"/></Settings></BandwidthThrottling></Options></Vhost></Vhosts>',
    });
    try {
      const v = loadConfigDir(dir, { geoip: false }).vhosts[0];
      expect(v).toMatchObject({ trafficCap: 1_250_000, sessionCap: 25_000, settings: { bandwidth: 8 * 1024, unit: 'kb', params: { bandwidth: 'bw' } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has built-in defaults with an empty <Server/>', () => {
    const dir = tempConf({ 'server.xml': '<Server/>', 'vhosts.xml': '<Vhosts><Vhost Name="A.Example.com"/></Vhosts>' });
    try {
      expect(loadConfigDir(dir, { geoip: false }).vhosts[0]).toMatchObject({ name: 'a.example.com', throttling: false, settings: { bandwidth: 125_000, ratio: 100, boost: 5 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('broken fixtures: every error with file:line:col', () => {
    it.each([
      ['malformed-xml', ["vhosts.xml:4:3: malformed XML: Expected closing tag 'Options' (opened in line 3, col 5) instead of closing tag 'Vhost'."]],
      ['unknown-element', ['vhosts.xml:5:7: unknown element <Turbo> in <Options>; expected <TrafficCap>, <BandwidthThrottling>, <CaseSensitive>, <Viewer>, <SessionKey> or <XAccelLimitRate>']],
      ['bad-unit', ['vhosts.xml:6:22: unknown unit "gbps"; expected kbps, mbps, bytes, kb or mb']],
      ['negative-cap', ['vhosts.xml:4:7: bad TrafficCap "-5"; expected a non-negative number (at most 1e15)']],
      ['bad-ip', ['svc/www.example.com/throttling.txt:2:5: bad IP "300.1.1.1"; expected an address, a.b.c.X-Y, a CIDR, a dotted mask, an IPv6 address or a country code']],
      ['unbalanced-bracket', ['svc/www.example.com/throttling.txt:1:8: unbalanced "[": expected "]" before the end of the condition']],
      ['unknown-kind', ['svc/www.example.com/throttling.txt:2:2: unknown condition kind "COOKIE"; expected IP, HEADER, URL, PROTOCOL, METHOD or MIME']],
      ['non-numeric-bandwidth', ['svc/www.example.com/throttling.txt:1:13: bad bandwidth "fast"; expected a non-negative number, Nx, x or no']],
      ['too-many-fields', ['svc/www.example.com/throttling.txt:1:26: too many fields (5); expected {condition},{bandwidth},{ratio},{boost}']],
      [
        'many',
        [
          'server.xml:4:19: bad TrafficCap Session "abc"; expected a non-negative number (at most 1e15)',
          'vhosts.xml:5:19: bad Ratio "lots"; expected a non-negative number (at most 1e15)',
          'vhosts.xml:10:3: <Default> names "nowhere.example.com", which is not a vhost',
          'svc/www.example.com/throttling.txt:1:5: bad IPv4 range "10.0.0.1-300"; expected a.b.c.FROM-TO with FROM ≤ TO ≤ 255',
          'svc/www.example.com/throttling.txt:3:19: too many fields (5); expected {condition},{bandwidth},{ratio},{boost}',
        ],
      ],
    ])('%s', (name, want) => {
      expect(errorsOf(path.join(fixtures, name))).toEqual(want);
    });
  });

  it.each([
    ['an unknown attribute', { 'vhosts.xml': '<Vhosts>\n<Vhost Name="a" Port="80"/>\n</Vhosts>' }, 'vhosts.xml:2:1: unknown attribute Port on <Vhost>; expected Name'],
    ['an unknown root', { 'vhosts.xml': '<Hosts/>' }, 'vhosts.xml:1:1: unexpected root <Hosts>; expected <Vhosts>'],
    ['a missing vhosts.xml', {}, 'vhosts.xml:0:0: missing file; expected vhosts.xml in DIR'],
    ['one Param for two fields', { 'vhosts.xml': '<Vhosts><Vhost Name="a"><Options><BandwidthThrottling><Settings>\n<Bandwidth Param="q">1</Bandwidth>\n<Ratio Param="q">1</Ratio>\n</Settings></BandwidthThrottling></Options></Vhost></Vhosts>' }, 'vhosts.xml:3:8: Param "q" is already the Param of another field; each field needs its own name'],
    ['a missing server.xml', { 'server.xml': null, 'vhosts.xml': '<Vhosts/>' }, 'server.xml:0:0: missing file; expected server.xml in DIR'],
    ['a duplicate vhost', { 'vhosts.xml': '<Vhosts><Vhost Name="a"/>\n<Vhost Name="A"/></Vhosts>' }, 'vhosts.xml:2:8: duplicate vhost "a"'],
    ['a bad ON/OFF', { 'vhosts.xml': '<Vhosts><Vhost Name="a"><Options><BandwidthThrottling><Throttling>YES</Throttling></BandwidthThrottling></Options></Vhost></Vhosts>' }, 'vhosts.xml:1:55: bad Throttling "YES"; expected ON or OFF'],
    ['a NaN bandwidth', { 'vhosts.xml': '<Vhosts><Vhost Name="a"><Options><BandwidthThrottling><Settings><Bandwidth>NaN</Bandwidth></Settings></BandwidthThrottling></Options></Vhost></Vhosts>' }, 'vhosts.xml:1:65: bad Bandwidth "NaN"; expected a non-negative number (at most 1e15)'],
    ['a country code (no geoip)', { 'vhosts.xml': '<Vhosts><Vhost Name="a"/></Vhosts>', 'svc/a/throttling.txt': '$IP[KR], 10' }, `${path.join('svc', 'a', 'throttling.txt')}:1:5: country code "KR" needs the \`geoip\` option`],
  ])('reports %s', (_what, files, want) => {
    const dir = tempConf(files);
    try {
      expect(errorsOf(dir)).toEqual([want.replace('DIR', dir)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rule files of vhosts with capitals in their Name', () => {
  it('are read from svc/<Name as written>/', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-case-'));
    try {
      writeFileSync(path.join(dir, 'vhosts.xml'), '<Vhosts><Vhost Name="WWW.Example.com"/></Vhosts>');
      mkdirSync(path.join(dir, 'svc', 'WWW.Example.com'), { recursive: true });
      writeFileSync(path.join(dir, 'svc', 'WWW.Example.com', 'throttling.txt'), '*, 1\n*, oops\n');
      expect(() => loadConfigDir(dir, { geoip: false })).toThrow(`${path.join('svc', 'WWW.Example.com', 'throttling.txt')}:2:4: bad bandwidth "oops"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
