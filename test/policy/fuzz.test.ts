import fc from 'fast-check';
import { loadConfigFiles } from '../../lib/config/load-config-dir';
import { normalizeConfig } from '../../lib/config/normalize-config';
import { ConfigError, ConfigErrors } from '../../lib/errors';
import { parseRuleList } from '../../lib/policy/parse-rule-list';
import { DEFAULT_LIMITS, resolvePlan, withEncodingRate } from '../../lib/policy/resolve-plan';
import { takeBtParams } from '../../lib/policy/take-bt-params';
import type { Plan, RequestFacts } from '../../lib/types';

// Property-based fuzz: random rule lines, random XML and random query strings.
// Nothing but ConfigError/ConfigErrors may be thrown, nothing may hang, and every plan is
// finite and non-negative.

const RUNS = 300;
const geoip = (ip: string): string | null => (ip.startsWith('1.') ? 'KR' : null);

function assertSanePlan(p: Plan): void {
  for (const k of ['ratio', 'boostSeconds', 'boostBytes', 'sessionCap', 'trafficCap'] as const) {
    expect(Number.isFinite(p[k]) && p[k] >= 0).toBe(true);
  }
  for (const k of ['bandwidth', 'rate'] as const) {
    const v = p[k];
    if (p.throttle) expect(v !== null && Number.isFinite(v) && v >= 0).toBe(true);
    else expect(v).toBeNull();
  }
}

const token = fc.constantFrom(
  '$', '!', 'IP', 'HEADER', 'URL', 'ip', '[', ']', ',', ', ', ' & ', '&', ':', ' : ', '*', '/', '.', '-', 'x', 'X', 'no', 's', 'sec', 'secs',
  '0', '1', '5', '255', '256', '192.168.1.1', '10.0.0.0/8', '/24', '/255.255.0.0', '1-9', '::1', '2001:db8::/32', 'KR', 'JPN',
  'referer', 'cookie', 'user-agent', '.mp4', ' ', '\t', '#', 'e3', 'NaN', '-1', '1.5', '%', '\u00e9',
  'PROTOCOL', 'METHOD', 'MIME', 'https', 'GET', '|', '||', ' OR ', ' AND ', 'video/*', 'min', 'mins', 'hour', ' 30secs', 'KB', 'MiB',
);
const ruleLine = fc.oneof(fc.array(token, { maxLength: 14 }).map((t) => t.join('')), fc.string({ maxLength: 40 }));

const facts: fc.Arbitrary<RequestFacts> = fc.record({
  ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })),
  path: fc.oneof(fc.constantFrom('/a.mp4', '/vod/x.mp4', '/a.m4a', '/'), fc.string({ maxLength: 30 })),
  headers: fc.dictionary(fc.constantFrom('referer', 'cookie', 'user-agent', 'accept', 'x'), fc.oneof(fc.string({ maxLength: 10 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }))),
  query: fc.record({ bandwidth: fc.string({ maxLength: 8 }), ratio: fc.string({ maxLength: 8 }), boost: fc.string({ maxLength: 8 }) }, { requiredKeys: [] }),
  protocol: fc.constantFrom('http', 'https'),
  method: fc.constantFrom('GET', 'HEAD', 'POST'),
  mime: fc.oneof(fc.constantFrom('', 'video/mp4', 'audio/mpeg'), fc.string({ maxLength: 12 })),
});

describe('fuzz', () => {
  it('random rule lines: only ConfigErrors, and sane plans from whatever parses', () => {
    fc.assert(
      fc.property(fc.array(ruleLine, { maxLength: 8 }), facts, (lines, f) => {
        const { rules, errors } = parseRuleList(lines.join('\n'), { file: 'r.txt', unit: 'kbps', caseInsensitive: false, geoip: true });
        for (const e of errors) expect(e).toBeInstanceOf(ConfigError);
        for (const e of errors) expect(e.line >= 1 && e.column >= 1).toBe(true);
        const config = normalizeConfig({ defaults: { throttling: true, queryString: true, params: { bandwidth: 'b', ratio: 'r', boost: 's' } }, vhosts: [{ name: 'a' }] }, { geoip: true });
        const vhost = { ...(config.vhosts[0] as NonNullable<(typeof config.vhosts)[0]>), rules };
        const plan = resolvePlan(f, vhost, null, DEFAULT_LIMITS, { geoip });
        assertSanePlan(plan);
        assertSanePlan(withEncodingRate(plan, 1_000_000));
      }),
      { numRuns: RUNS },
    );
  });

  const xmlToken = fc.constantFrom(
    '<', '>', '</', '/>', '<?xml version="1.0"?>', '<!-- c -->', '<Vhosts>', '</Vhosts>', '<Vhost Name="a">', '<Vhost Name="b.test">', '<Vhost>', '</Vhost>',
    '<Alias>', '</Alias>', '*.x.test', '<Options>', '</Options>', '<TrafficCap Session="5">', '<TrafficCap>', '</TrafficCap>', '<BandwidthThrottling>', '</BandwidthThrottling>',
    '<Settings>', '</Settings>', '<Bandwidth Unit="mb" Param="p">', '<Bandwidth Unit="zz">', '</Bandwidth>', '<Ratio>', '</Ratio>', '<Boost>', '</Boost>',
    '<Throttling QueryString="ON">', '</Throttling>', '<Default>', '</Default>', 'ON', 'OFF', '1', '-1', '2.5', 'a', '&amp;', '&bogus;', '"', "'", '=', ' ', '\n',
    '<Server>', '</Server>', '<VHostDefault>', '</VHostDefault>', '<CaseSensitive>', '</CaseSensitive>', '<Turbo/>', '<![CDATA[x]]>',
    '<TrustedProxies>', '<TrustedProxies Header="Forwarded">', '</TrustedProxies>', '<Proxy>', '</Proxy>', '10.0.0.0/8', '::1', '10.0.0.0/99',
    '<SessionKey>', '</SessionKey>', 'ip', 'cookie:sid', 'header:', '<XAccelLimitRate>', '</XAccelLimitRate>', '1min 30secs', '512KB', '5m',
  );
  const xml = fc.oneof(fc.array(xmlToken, { maxLength: 30 }).map((t) => t.join('')), fc.string({ maxLength: 60 }));

  it('random XML: only ConfigErrors, with places', () => {
    fc.assert(
      fc.property(xml, xml, fc.option(fc.array(ruleLine, { maxLength: 4 })), (serverXml, vhostsXml, rules) => {
        try {
          const config = loadConfigFiles((file) => (file === 'server.xml' ? serverXml : file === 'vhosts.xml' ? vhostsXml : rules ? rules.join('\n') : null), 'fuzz', { geoip: false });
          for (const v of config.vhosts) {
            expect(Number.isFinite(v.trafficCap) && v.trafficCap >= 0).toBe(true);
            expect(Number.isFinite(v.settings.bandwidth) && v.settings.bandwidth >= 0).toBe(true);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigErrors);
          for (const x of (e as ConfigErrors).errors) {
            expect(x).toBeInstanceOf(ConfigError);
            expect(x.format()).toMatch(/^[^:]+:\d+:\d+: /);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('random query strings: stripped params gone, other pairs kept in order, sane plans', () => {
    const config = normalizeConfig(
      { defaults: { throttling: true, queryString: true, params: { bandwidth: 'mybandwidth', ratio: 'myratio', boost: 'myboost' } }, vhosts: [{ name: 'a', rules: ['/vod/*, 1x, 50', '*.m4a, no'] }] },
      { geoip: false },
    );
    const vhost = config.vhosts[0] as NonNullable<(typeof config.vhosts)[0]>;
    const key = fc.oneof(fc.constantFrom('mybandwidth', 'myratio', 'myboost', 'my%62oost', 'tag', 'date', ''), fc.string({ maxLength: 6 }));
    const value = fc.oneof(fc.constantFrom('10', '-1', '1e9', 'NaN', '', '%zz', '0x10', '1.5', 'Infinity'), fc.string({ maxLength: 6 }));
    const pair = fc.tuple(key, fc.option(value)).map(([k, v]) => (v === null ? k : `${k}=${v}`));
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 8 }), fc.constantFrom('/vod/a.mp4', '/a.m4a', '/b'), (pairs, path) => {
        const qs = pairs.join('&');
        const { querystring, query } = takeBtParams(vhost, qs);
        const kept = querystring === '' ? [] : querystring.split('&');
        for (const p of kept) expect(['mybandwidth', 'myratio', 'myboost'].includes(decodeKey(p))).toBe(false);
        // order of the remaining pairs is the original order
        const original = qs.split('&').filter((p) => p !== '' && !['mybandwidth', 'myratio', 'myboost'].includes(decodeKey(p)));
        expect(kept).toEqual(querystring === qs ? (qs === '' ? [] : qs.split('&')) : original);
        assertSanePlan(resolvePlan({ ip: '1.1.1.1', path, headers: {}, query }, vhost, null, DEFAULT_LIMITS));
      }),
      { numRuns: RUNS },
    );
  });
});

function decodeKey(pair: string): string {
  const k = pair.split('=')[0] as string;
  try {
    return decodeURIComponent(k.replace(/\+/g, ' '));
  } catch {
    return k;
  }
}
