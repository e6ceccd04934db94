import { normalizeConfig } from '../../lib/config/normalize-config';
import { normalizeHost, VhostTable } from '../../lib/config/vhost-table';

const config = normalizeConfig(
  {
    vhosts: [
      { name: 'www.example.com', aliases: ['example.com', '*.example.com'] },
      { name: 'img.example.com' },
      { name: 'cdn.example.com', aliases: ['*.cdn.example.com', 'static.example.com'] },
      { name: 'fallback.test' },
    ],
    default: 'fallback.test',
  },
  { geoip: false },
);

describe('VhostTable.lookup', () => {
  const table = new VhostTable(config);
  it.each([
    ['www.example.com', 'www.example.com'],
    ['WWW.Example.COM:8080', 'www.example.com'],
    ['www.example.com.', 'www.example.com'],
    ['img.example.com', 'img.example.com'],
    ['static.example.com', 'cdn.example.com'],
    ['example.com', 'www.example.com'],
    ['a.example.com', 'www.example.com'],
    ['a.b.cdn.example.com', 'cdn.example.com'],
    ['x.cdn.example.com', 'cdn.example.com'],
    ['cdn.example.com', 'cdn.example.com'],
    ['other.test', 'fallback.test'],
    ['[::1]:80', 'fallback.test'],
    ['', 'fallback.test'],
    ['bad host\u0000', 'fallback.test'],
  ])('%j → %s', (host, want) => {
    expect(table.lookup(host)?.name).toBe(want);
  });

  it('passes unknown hosts through when there is no <Default>', () => {
    const t = new VhostTable(normalizeConfig({ vhosts: [{ name: 'a.test' }] }, { geoip: false }));
    expect(t.lookup('b.test')).toBeNull();
    expect(t.lookup(undefined)).toBeNull();
  });

  it('answers the same from its cache of raw Host values, which stays bounded under random hosts', () => {
    const t = new VhostTable(config);
    const hosts = ['www.example.com', 'A.example.com:80', 'static.example.com', 'nowhere.test', '[::1]', 'bad host'];
    const first = hosts.map((h) => t.lookup(h)?.name);
    expect(first).toEqual(['www.example.com', 'www.example.com', 'cdn.example.com', 'fallback.test', 'fallback.test', 'fallback.test']);
    expect(hosts.map((h) => t.lookup(h)?.name)).toEqual(first); // from the cache
    for (let i = 0; i < 10_000; i++) t.lookup(`r${i}.${i % 2 ? 'cdn.example.com' : 'random.test'}`);
    expect((t as unknown as { seen: Map<string, unknown> }).seen.size).toBeLessThanOrEqual(256);
    expect(hosts.map((h) => t.lookup(h)?.name)).toEqual(first); // after the cache was emptied
  });
});

describe('normalizeHost', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['example.com:443', 'example.com'],
    ['[2001:db8::1]:8080', '[2001:db8::1]'],
    ['[2001:db8::1', null],
    ['[evil]', null],
    ['a b', null],
    ['example.com:http', null],
    ['x'.repeat(400), null],
    ['-', null],
  ])('%j → %j', (host, want) => {
    expect(normalizeHost(host)).toBe(want);
  });
});
