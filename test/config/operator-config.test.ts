import { ConfigErrors } from '../../lib/errors';
import { loadConfigFiles } from '../../lib/config/load-config-dir';
import { normalizeConfig } from '../../lib/config/normalize-config';
import { parseSessionKeySpec } from '../../lib/config/session-key-spec';
import { parseClientIp } from '../../lib/policy/ip-address';

const server = (inner: string, top = ''): string => `<Server>${top}\n<VHostDefault><Options>\n${inner}\n</Options></VHostDefault>\n</Server>`;
const vhosts = (inner = ''): string => `<Vhosts>\n<Vhost Name="a.test"><Options>${inner}</Options></Vhost>\n<Vhost Name="b.test"/>\n</Vhosts>`;
/** server.xml is required: a bare one stands in where a test does not write its own. */
const load = (files: Record<string, string>) => loadConfigFiles((f) => files[f] ?? (f === 'server.xml' ? '<Server/>' : null), 'conf', { geoip: false });
const errorsOf = (files: Record<string, string>): string[] => {
  try {
    load(files);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw e;
    return e.errors.map((x) => x.format());
  }
};

describe('<TrustedProxies> in server.xml', () => {
  it('reads one <Proxy> per address or CIDR, and the header', () => {
    const c = load({ 'server.xml': server('', '<TrustedProxies Header="Forwarded"><Proxy>10.0.0.0/8</Proxy><Proxy> ::1 </Proxy></TrustedProxies>'), 'vhosts.xml': vhosts() });
    expect(c.trustedProxies?.header).toBe('forwarded');
    expect(c.trustedProxies?.entries).toEqual(['10.0.0.0/8', '::1']);
    expect(c.trustedProxies?.trusts(parseClientIp('10.2.3.4')!)).toBe(true);
    expect(c.trustedProxies?.trusts(parseClientIp('11.2.3.4')!)).toBe(false);
  });

  it('has none by default: forwarding headers are not believed', () => {
    expect(load({ 'vhosts.xml': vhosts() }).trustedProxies).toBeNull();
  });

  it('reports each bad entry at its line and column', () => {
    const xml = '<Server>\n  <TrustedProxies Header="X-Real-IP">\n    <Proxy>10.0.0.0/8</Proxy>\n    <Proxy>10.0.0.0/40</Proxy>\n    <Host>a</Host>\n  </TrustedProxies>\n</Server>';
    expect(errorsOf({ 'server.xml': xml, 'vhosts.xml': vhosts() })).toEqual([
      'server.xml:2:19: bad trusted-proxy header "X-Real-IP"; expected X-Forwarded-For or Forwarded',
      'server.xml:4:5: bad prefix length "/40" in trusted proxy "10.0.0.0/40"; expected 0–32',
      'server.xml:5:5: unknown element <Host> in <TrustedProxies>; expected <Proxy>',
    ]);
  });

  it('is a list or { addresses, header } in plain options', () => {
    expect(normalizeConfig({ vhosts: [{ name: 'a' }], trustedProxies: ['10.0.0.1'] }, { geoip: false }).trustedProxies?.entries).toEqual(['10.0.0.1']);
    expect(normalizeConfig({ vhosts: [{ name: 'a' }], trustedProxies: { addresses: ['::1'], header: 'Forwarded' } }, { geoip: false }).trustedProxies?.header).toBe('forwarded');
    expect(() => normalizeConfig({ vhosts: [{ name: 'a' }], trustedProxies: ['10.0.0.1', 'nope'] }, { geoip: false })).toThrow(
      /config\.trustedProxies\[1\]: bad trusted proxy "nope"/,
    );
  });
});

describe('<SessionKey>, per vhost and inherited', () => {
  it('inherits server.xml and lets a vhost override it', () => {
    const c = load({ 'server.xml': server('<SessionKey>ip</SessionKey>'), 'vhosts.xml': vhosts('<SessionKey>cookie:sid</SessionKey>') });
    expect(c.vhosts.map((v) => v.sessionKey)).toEqual([
      { kind: 'cookie', name: 'sid', text: 'cookie:sid' },
      { kind: 'ip', text: 'ip' },
    ]);
  });

  it('is null when the config says nothing (the session option decides)', () => {
    expect(load({ 'vhosts.xml': vhosts() }).vhosts[0]?.sessionKey).toBeNull();
  });

  it.each([
    ['connection', { kind: 'connection', text: 'connection' }],
    ['IP', { kind: 'ip', text: 'IP' }],
    ['header:X-User-Id', { kind: 'header', name: 'x-user-id', text: 'header:X-User-Id' }],
    ['cookie: sid', { kind: 'cookie', name: 'sid', text: 'cookie: sid' }],
  ])('reads %j', (text, want) => {
    expect(parseSessionKeySpec(text)).toEqual(want);
  });

  it('reports an unknown kind or a missing name at the element', () => {
    expect(errorsOf({ 'server.xml': server('<SessionKey>user</SessionKey>'), 'vhosts.xml': vhosts('\n<SessionKey>header:</SessionKey>') })).toEqual([
      'server.xml:3:1: unknown session key "user"; expected connection, ip, header:NAME, cookie:NAME, viewer',
      'vhosts.xml:3:1: session key "header" needs a header name (header:NAME, an HTTP token); got ""',
    ]);
    expect(errorsOf({ 'vhosts.xml': vhosts('<SessionKey>ip:1.2.3.4</SessionKey>') })).toEqual(['vhosts.xml:2:31: session key "ip" takes no name; expected connection, ip, header:NAME, cookie:NAME, viewer']);
  });
});

describe('<Boost> time expressions and byte sizes', () => {
  it.each([
    ['1min 30secs', { boost: 90 }],
    ['5seconds', { boost: 5 }],
    ['2.5', { boost: 2.5 }],
    ['512KB', { boost: 0, boostBytes: 524_288 }],
  ])('<Boost>%s</Boost>', (text, want) => {
    const c = load({ 'server.xml': server(`<BandwidthThrottling><Settings><Boost>${text}</Boost></Settings></BandwidthThrottling>`), 'vhosts.xml': vhosts() });
    expect(c.vhosts[0]?.settings).toMatchObject(want);
  });

  it('reports a bad time expression at file:line:col, in XML and in a rule', () => {
    const files = {
      'server.xml': server('<BandwidthThrottling><Settings><Boost>1min 30</Boost></Settings></BandwidthThrottling>'),
      'vhosts.xml': vhosts(),
      'svc/a.test/throttling.txt': '# boosts\n*.mp4, 800, 100, 2mins 1hour\n*.m4a, 800, 100, 10 parsecs\n*.mp3, 800, 100, 1min 30secs\n*.aac, 800, 100, 256KB',
    };
    expect(errorsOf(files)).toEqual([
      'server.xml:3:32: bad Boost "1min 30"; expected seconds (5, 5s, 1min 30secs; units sec(s)/second(s), min(s)/minute(s), hour(s), day(s), week(s)) or bytes (512KB; units B/bytes, KB/KiB, MB/MiB, GB/GiB (1024-based))',
      'svc/a.test/throttling.txt:2:18: bad boost "2mins 1hour"; expected seconds (5, 5s, 1min 30secs; units sec(s)/second(s), min(s)/minute(s), hour(s), day(s), week(s)) or bytes (512KB; units B/bytes, KB/KiB, MB/MiB, GB/GiB (1024-based))',
      'svc/a.test/throttling.txt:3:18: bad boost "10 parsecs"; expected seconds (5, 5s, 1min 30secs; units sec(s)/second(s), min(s)/minute(s), hour(s), day(s), week(s)) or bytes (512KB; units B/bytes, KB/KiB, MB/MiB, GB/GiB (1024-based))',
    ]);
  });

  it('reads rule boosts in seconds and in bytes', () => {
    const c = load({ 'vhosts.xml': vhosts(), 'svc/a.test/throttling.txt': '*.mp3, 800, 100, 1min 30secs\n*.aac, 800, 100, 256KB' });
    expect(c.vhosts[0]?.rules.map((r) => [r.boost, r.boostBytes])).toEqual([
      [90, undefined],
      [undefined, 262_144],
    ]);
  });
});

describe('<XAccelLimitRate>', () => {
  it('is OFF by default and ON where a vhost says so', () => {
    const c = load({ 'vhosts.xml': vhosts('<XAccelLimitRate>ON</XAccelLimitRate>') });
    expect(c.vhosts.map((v) => v.xAccelLimitRate)).toEqual([true, false]);
    expect(errorsOf({ 'vhosts.xml': vhosts('<XAccelLimitRate>yes</XAccelLimitRate>') })).toEqual(['vhosts.xml:2:31: bad XAccelLimitRate "yes"; expected ON or OFF']);
  });
});

describe('conditions in check', () => {
  it('lists "|", OR and unknown kinds with file:line:col', () => {
    const files = { 'vhosts.xml': vhosts(), 'svc/a.test/throttling.txt': '$URL[/a/*] | $URL[/b/*], 100\n$URL[/a/*] OR $URL[/b/*], 100\n$REFERER[x], 100\n$METHOD[GET|HEAD] & $PROTOCOL[https] & $MIME[video/*], 100' };
    expect(errorsOf(files)).toEqual([
      'svc/a.test/throttling.txt:1:12: "|" is not an operator: terms are joined by "&" (all must match); write one rule line per alternative',
      'svc/a.test/throttling.txt:2:12: "OR" is not an operator: terms are joined by "&" (all must match); write one rule line per alternative',
      'svc/a.test/throttling.txt:3:2: unknown condition kind "REFERER"; expected IP, HEADER, URL, PROTOCOL, METHOD or MIME',
    ]);
  });

  it('marks a vhost whose rules read the response type', () => {
    const c = load({ 'vhosts.xml': vhosts(), 'svc/a.test/throttling.txt': '$MIME[video/*], 100' });
    expect(c.vhosts.map((v) => v.usesMime === true)).toEqual([true, false]);
  });
});
