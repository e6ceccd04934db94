import { compileCondition, ConditionSyntaxError } from '../../lib/policy/condition';
import { MatchContext } from '../../lib/policy/match-context';
import type { RequestFacts } from '../../lib/types';

const facts = (f: Partial<RequestFacts>): RequestFacts => ({ ip: '10.0.0.1', path: '/', headers: {}, query: {}, ...f });
const geoip = (ip: string): string | null => ({ '1.2.3.4': 'KR', '5.6.7.8': 'us', '2001:db8::1': 'JP' })[ip] ?? null;

function matches(condition: string, f: Partial<RequestFacts>, opts: { caseInsensitive?: boolean } = {}): boolean {
  const c = compileCondition(condition, { caseInsensitive: opts.caseInsensitive ?? false, geoip: true });
  return c(new MatchContext(facts(f), geoip));
}

describe('compileCondition', () => {
  describe('IP terms', () => {
    it.each([
      ['$IP[192.168.1.1]', '192.168.1.1', true],
      ['$IP[192.168.1.1]', '192.168.1.2', false],
      ['$IP[192.168.1.1]', '::ffff:192.168.1.1', true],
      ['$IP[192.168.2.1-255]', '192.168.2.1', true],
      ['$IP[192.168.2.1-255]', '192.168.2.255', true],
      ['$IP[192.168.2.10-20]', '192.168.2.9', false],
      ['$IP[192.168.2.10-20]', '192.168.2.21', false],
      ['$IP[192.168.2.10-20]', '192.168.3.15', false],
      ['$IP[192.168.3.0/24]', '192.168.3.77', true],
      ['$IP[192.168.3.0/24]', '192.168.4.77', false],
      ['$IP[0.0.0.0/0]', '8.8.8.8', true],
      ['$IP[192.168.4.0/255.255.255.0]', '192.168.4.200', true],
      ['$IP[192.168.4.0/255.255.255.0]', '192.168.5.200', false],
      ['$IP[2001:db8::1]', '2001:db8::1', true],
      ['$IP[2001:db8::1]', '2001:db8:0:0:0:0:0:1', true],
      ['$IP[2001:db8::1]', '2001:db8::2', false],
      ['$IP[2001:db8::/32]', '2001:db8:ffff::9', true],
      ['$IP[2001:db8::/32]', '2001:db9::9', false],
      ['$IP[2001:db8::/32]', '192.168.1.1', false],
      ['$IP[::ffff:0:0/96]', '10.0.0.1', false],
      ['$IP[10.0.0.0/8]', '2001:db8::1', false],
      ['$IP[KR]', '1.2.3.4', true],
      ['$IP[kr]', '1.2.3.4', true],
      ['$IP[KR]', '5.6.7.8', false],
      ['$IP[US]', '5.6.7.8', true],
      ['$IP[JPN]', '2001:db8::1', false],
      ['$IP[JP]', '2001:db8::1', true],
      ['$IP[KR]', '9.9.9.9', false],
      ['$IP[10.0.0.1]', 'garbage', false],
    ])('%s against %s → %s', (cond, ip, want) => {
      expect(matches(cond, { ip })).toBe(want);
    });
  });

  describe('HEADER terms', () => {
    it.each([
      ['$HEADER[referer]', { referer: 'http://a/' }, true],
      ['$HEADER[Referer]', { referer: 'http://a/' }, true],
      ['$HEADER[referer]', {}, false],
      ['$HEADER[cookie:]', { cookie: '' }, true],
      ['$HEADER[cookie:]', { cookie: 'a=1' }, false],
      ['$HEADER[cookie:]', {}, false],
      ['$HEADER[user-agent: *Android*]', { 'user-agent': 'Mozilla Android 14' }, true],
      ['$HEADER[user-agent : *Android*]', { 'user-agent': 'Mozilla iPhone' }, false],
      ['$HEADER[USER-AGENT: Mozilla*]', { 'user-agent': 'Mozilla iPhone' }, true],
      ['$HEADER[accept: a, b]', { accept: 'a, b' }, true],
      ['$HEADER[accept: a, b]', { accept: 'a' }, false],
      ['$HEADER[x-list: 1, 2]', { 'x-list': ['1', '2'] }, true],
    ])('%s with %j → %s', (cond, headers, want) => {
      expect(matches(cond, { headers })).toBe(want);
    });
  });

  describe('URL terms', () => {
    it.each([
      ['$URL[*.m4a]', '/music/a.m4a', true],
      ['$URL[*.m4a]', '/music/a.m4a.txt', false],
      ['$URL[/vod/*.mp4]', '/vod/x/y/z.mp4', true],
      ['$URL[/vod/*.mp4]', '/vod.mp4', false],
      ['$URL[/low_quality/*]', '/low_quality/', true],
      ['$URL[/a*b*c]', '/abc', true],
      ['$URL[/a*b*c]', '/acb', false],
      ['$URL[/a*b*c]', '/aXXbYYc', true],
      ['$URL[/exact]', '/exact', true],
      ['$URL[/exact]', '/exact/', false],
      ['URL[/secure/*.dat]', '/secure/k.dat', true],
      ['/secure/*.dat', '/secure/k.dat', true],
      ['/secure/*.dat', '/public/k.dat', false],
      ['*.jpg', '/a/b.jpg', true],
      ['*', '/anything', true],
      ['$URL[/VOD/*]', '/vod/a', false],
      ['$URL[*.M4A]', '/a.m4a', false],
    ])('%s against %s → %s', (cond, path, want) => {
      expect(matches(cond, { path })).toBe(want);
    });

    it('ignores case when the vhost sets CaseSensitive OFF', () => {
      expect(matches('$URL[/VOD/*.MP4]', { path: '/vod/a.mp4' }, { caseInsensitive: true })).toBe(true);
      expect(matches('*.M4A', { path: '/A.m4a' }, { caseInsensitive: true })).toBe(true);
    });
  });

  describe('negation, bare kinds and &', () => {
    it.each([
      ['!HEADER[referer]', {}, true],
      ['!HEADER[referer]', { headers: { referer: 'x' } }, false],
      ['HEADER[cookie]', { headers: { cookie: 'a' } }, true],
      ['!IP[10.0.0.0/8]', { ip: '10.1.1.1' }, false],
      ['!IP[10.0.0.0/8]', { ip: '11.1.1.1' }, true],
      ['!*.mp4', { path: '/a.mp4' }, false],
      ['$IP[10.0.0.0/8] & $URL[*.mp4]', { ip: '10.0.0.9', path: '/a.mp4' }, true],
      ['$IP[10.0.0.0/8] & $URL[*.mp4]', { ip: '10.0.0.9', path: '/a.mp3' }, false],
      ['$IP[10.0.0.0/8] & !HEADER[referer] & *.mp4', { ip: '10.0.0.9', path: '/a.mp4' }, true],
      ['$IP[10.0.0.0/8] & !HEADER[referer] & *.mp4', { ip: '10.0.0.9', path: '/a.mp4', headers: { referer: 'r' } }, false],
      ['$HEADER[x: a & b] & /p', { path: '/p', headers: { x: 'a & b' } }, true],
    ])('%s with %j → %s', (cond, f, want) => {
      expect(matches(cond, f as Partial<RequestFacts>)).toBe(want);
    });
  });

  describe('malformed conditions', () => {
    it.each([
      ['$IP[300.1.1.1]', 4, /bad IP/],
      ['$IP[10.0.0.5-3]', 4, /bad IPv4 range/],
      ['$IP[10.0.0.0/33]', 4, /mask/],
      ['$IP[2001:db8::/129]', 4, /prefix length/],
      ['$HEADER[cookie', 7, /unbalanced "\["/],
      ['$URL[/a/*]]', 10, /unbalanced "\]"/],
      ['$COOKIE[x]', 1, /unknown condition kind "COOKIE"/],
      ['$URL[]', 5, /empty URL/],
      ['$HEADER[bad key]', 8, /bad header name/],
      ['$URL[/a] & ', 11, /empty term/],
      ['$URL[/a]x', 8, /after "\]"/],
    ])('%s fails at offset %d', (cond, offset, message) => {
      let err: unknown;
      try {
        compileCondition(cond, { caseInsensitive: false, geoip: true });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConditionSyntaxError);
      expect((err as ConditionSyntaxError).message).toMatch(message);
      expect((err as ConditionSyntaxError).offset).toBe(offset);
    });

    it('rejects a country code without a geoip option', () => {
      expect(() => compileCondition('$IP[KR]', { caseInsensitive: false, geoip: false })).toThrow(/needs the `geoip` option/);
    });
  });

  it('asks geoip once per request however many rules look', () => {
    let calls = 0;
    const m = new MatchContext(facts({ ip: '1.2.3.4' }), () => (calls++, 'KR'));
    const a = compileCondition('$IP[US]', { caseInsensitive: false, geoip: true });
    const b = compileCondition('$IP[KR]', { caseInsensitive: false, geoip: true });
    expect([a(m), b(m)]).toEqual([false, true]);
    expect(calls).toBe(1);
  });

  it('treats a throwing geoip as an unknown country', () => {
    const m = new MatchContext(facts({ ip: '1.2.3.4' }), () => {
      throw new Error('db closed');
    });
    expect(compileCondition('!IP[KR]', { caseInsensitive: false, geoip: true })(m)).toBe(true);
  });
});
