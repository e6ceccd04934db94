import { compileTrustedProxies, resolveClientAddress, TrustedProxySyntaxError } from '../../lib/policy/trusted-proxies';

const xff = compileTrustedProxies(['10.0.0.0/8', '192.168.1.7', '2001:db8:1::/48']);
const fwd = compileTrustedProxies(['10.0.0.0/8', '2001:db8:1::/48'], 'forwarded');

describe('the client address behind trusted proxies', () => {
  it.each([
    // [case, peer, headers, list, ip, via, source]
    ['no list: the socket peer, forwarding headers ignored', '10.0.0.2', { 'x-forwarded-for': '203.0.113.7' }, null, '10.0.0.2', null, 'socket'],
    ['a spoofed X-Forwarded-For from an untrusted peer is ignored', '198.51.100.9', { 'x-forwarded-for': '192.168.1.1' }, xff, '198.51.100.9', null, 'socket'],
    ['one trusted hop: the hop it reports', '10.0.0.2', { 'x-forwarded-for': '203.0.113.7' }, xff, '203.0.113.7', '10.0.0.2', 'x-forwarded-for'],
    ['two trusted hops: the first untrusted from the right', '10.0.0.2', { 'x-forwarded-for': '203.0.113.7, 192.168.1.7' }, xff, '203.0.113.7', '192.168.1.7', 'x-forwarded-for'],
    ['a client spoofing behind a trusted proxy: its own address, not the spoof', '10.0.0.2', { 'x-forwarded-for': '192.168.1.1, 198.51.100.9' }, xff, '198.51.100.9', '10.0.0.2', 'x-forwarded-for'],
    ['every hop trusted: the leftmost', '10.0.0.2', { 'x-forwarded-for': '10.1.1.1, 10.2.2.2' }, xff, '10.1.1.1', '10.2.2.2', 'x-forwarded-for'],
    ['a trusted peer without the header: the peer', '10.0.0.2', {}, xff, '10.0.0.2', null, 'socket'],
    ['an IPv4-mapped trusted peer', '::ffff:10.0.0.2', { 'x-forwarded-for': '203.0.113.7' }, xff, '203.0.113.7', '::ffff:10.0.0.2', 'x-forwarded-for'],
    ['IPv6 proxy and IPv6 client', '2001:db8:1::5', { 'x-forwarded-for': '2001:db8:beef::1' }, xff, '2001:db8:beef::1', '2001:db8:1::5', 'x-forwarded-for'],
    ['an IPv6 peer outside the trusted /48', '2001:db8:2::5', { 'x-forwarded-for': '203.0.113.7' }, xff, '2001:db8:2::5', null, 'socket'],
    ['a hop with a port', '10.0.0.2', { 'x-forwarded-for': '203.0.113.7:5555' }, xff, '203.0.113.7', '10.0.0.2', 'x-forwarded-for'],
    ['a bracketed IPv6 hop with a port', '10.0.0.2', { 'x-forwarded-for': '[2001:db8:beef::1]:443' }, xff, '2001:db8:beef::1', '10.0.0.2', 'x-forwarded-for'],
    ['garbage left of a trusted hop: stops at that hop', '10.0.0.2', { 'x-forwarded-for': 'evil, 10.3.3.3' }, xff, '10.3.3.3', '10.0.0.2', 'x-forwarded-for'],
    ['garbage as the only hop: the peer', '10.0.0.2', { 'x-forwarded-for': 'not-an-ip' }, xff, '10.0.0.2', null, 'socket'],
    ['an empty hop: the peer', '10.0.0.2', { 'x-forwarded-for': ' , ' }, xff, '10.0.0.2', null, 'socket'],
    ['several header lines are one list', '10.0.0.2', { 'x-forwarded-for': ['203.0.113.7', '10.4.4.4'] }, xff, '203.0.113.7', '10.4.4.4', 'x-forwarded-for'],
    ['a Forwarded header is ignored in X-Forwarded-For mode', '10.0.0.2', { forwarded: 'for=203.0.113.7' }, xff, '10.0.0.2', null, 'socket'],
    // RFC 7239
    ['Forwarded: one hop', '10.0.0.2', { forwarded: 'for=203.0.113.7;proto=https' }, fwd, '203.0.113.7', '10.0.0.2', 'forwarded'],
    ['Forwarded: two trusted hops', '10.0.0.2', { forwarded: 'for=203.0.113.7, for=10.9.9.9;by=10.0.0.2' }, fwd, '203.0.113.7', '10.9.9.9', 'forwarded'],
    ['Forwarded: quoted IPv6 with a port', '10.0.0.2', { forwarded: 'for="[2001:db8:cafe::17]:4711"' }, fwd, '2001:db8:cafe::17', '10.0.0.2', 'forwarded'],
    ['Forwarded: FOR in capitals, spaces', '10.0.0.2', { forwarded: 'proto=http; FOR = 203.0.113.7' }, fwd, '203.0.113.7', '10.0.0.2', 'forwarded'],
    ['Forwarded: an obfuscated identifier stops the walk', '10.0.0.2', { forwarded: 'for=_hidden' }, fwd, '10.0.0.2', null, 'socket'],
    ['Forwarded: "unknown"', '10.0.0.2', { forwarded: 'for=unknown, for=10.5.5.5' }, fwd, '10.5.5.5', '10.0.0.2', 'forwarded'],
    ['Forwarded: a spoofed X-Forwarded-For is ignored', '10.0.0.2', { 'x-forwarded-for': '192.168.1.1', forwarded: 'for=203.0.113.7' }, fwd, '203.0.113.7', '10.0.0.2', 'forwarded'],
    ['Forwarded: a comma inside quotes', '10.0.0.2', { forwarded: 'for="203.0.113.7";x="a,b"' }, fwd, '203.0.113.7', '10.0.0.2', 'forwarded'],
    ['Forwarded: an unterminated quote never throws', '10.0.0.2', { forwarded: 'for="203.0.113.7' }, fwd, '10.0.0.2', null, 'socket'],
  ])('%s', (_name, peer, headers, list, ip, via, source) => {
    const got = resolveClientAddress(peer, headers, list);
    expect(got).toMatchObject({ ip, via, source });
  });

  it('reads the protocol the client used from a trusted proxy', () => {
    expect(resolveClientAddress('10.0.0.2', { forwarded: 'for=203.0.113.7;proto=https' }, fwd).protocol).toBe('https');
    expect(resolveClientAddress('10.0.0.2', { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }, xff).protocol).toBe('https');
    expect(resolveClientAddress('10.0.0.2', { 'x-forwarded-for': '203.0.113.7, 10.1.1.1', 'x-forwarded-proto': 'https, http' }, xff).protocol).toBe('https');
    expect(resolveClientAddress('198.51.100.9', { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }, xff).protocol).toBeNull();
    expect(resolveClientAddress('10.0.0.2', { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'gopher' }, xff).protocol).toBeNull();
  });

  it('reads at most 32 hops from the right, and never throws on a huge header', () => {
    const hops = Array.from({ length: 40 }, (_, i) => `10.0.${i}.1`);
    expect(resolveClientAddress('10.0.0.2', { 'x-forwarded-for': ['203.0.113.7', ...hops].join(', ') }, xff).ip).not.toBe('203.0.113.7');
    expect(resolveClientAddress('10.0.0.2', { 'x-forwarded-for': 'x'.repeat(100_000) }, xff).ip).toBe('10.0.0.2');
    expect(resolveClientAddress('10.0.0.2', { forwarded: '"'.repeat(10_000) }, fwd).ip).toBe('10.0.0.2');
  });

  it.each([
    ['10.0.0.0/33', 'bad prefix length "/33" in trusted proxy "10.0.0.0/33"; expected 0–32'],
    ['2001:db8::/129', 'bad prefix length "/129" in trusted proxy "2001:db8::/129"; expected 0–128'],
    ['10.0.0.256', 'bad trusted proxy "10.0.0.256"; expected an IPv4 or IPv6 address or CIDR (10.0.0.0/8, 2001:db8::/32)'],
    ['proxy.example.com', 'bad trusted proxy "proxy.example.com"; expected an IPv4 or IPv6 address or CIDR (10.0.0.0/8, 2001:db8::/32)'],
    ['10.0.0.0/8x', 'bad prefix length "/8x" in trusted proxy "10.0.0.0/8x"; expected 0–32'],
  ])('rejects %j', (entry, message) => {
    expect(() => compileTrustedProxies([entry])).toThrow(new TrustedProxySyntaxError(message, 0));
  });
});

describe('hostile forwarding headers', () => {
  // A deterministic generator: the same cases every run.
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = ['1', '2', '.', ':', ',', ';', '"', '=', '[', ']', ' ', 'for', 'proto', 'f', '\\', '::ffff:', '10.0.0.1', '_x', 'unknown', '%', '\u0000', '\u00ff'];
  const junk = (): string => Array.from({ length: rand(40) }, () => alphabet[rand(alphabet.length)]).join('');

  it('never throw, and give the peer or one of the hops the header names', () => {
    for (let i = 0; i < 3000; i++) {
      const header = junk();
      for (const [list, name] of [[xff, 'x-forwarded-for'], [fwd, 'forwarded']] as const) {
        const got = resolveClientAddress('10.0.0.2', { [name]: header }, list);
        expect(got.ip === '10.0.0.2' || header.includes(got.ip)).toBe(true);
      }
    }
  });
});
