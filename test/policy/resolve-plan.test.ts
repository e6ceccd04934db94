import { DEFAULT_LIMITS, resolvePlan, withEncodingRate, type RouteOverride } from '../../lib/policy/resolve-plan';
import type { RequestFacts } from '../../lib/types';
import { CHAPTER_QUERY_OPTIONS, CHAPTER_RULES, CHAPTER_X_RULES, vhost } from './vhost';

const facts = (f: Partial<RequestFacts> = {}): RequestFacts => ({ ip: '10.0.0.1', path: '/a.mp4', headers: { referer: 'r', 'user-agent': 'ua' }, query: {}, ...f });
const kbps = (bytes: number | null): number | null => (bytes === null ? null : Math.round((bytes * 8) / 1000 * 1e6) / 1e6);

describe('resolvePlan', () => {
  describe('the chapter throttling.txt lines', () => {
    const v = vhost({ throttling: true }, CHAPTER_RULES);

    it('$IP[192.168.1.1], 2000, 150, 3 → 3 s boost, then 3000 Kbps', () => {
      const p = resolvePlan(facts({ ip: '192.168.1.1' }), v, null, DEFAULT_LIMITS);
      expect(p).toMatchObject({ throttle: true, rule: { line: 1, text: '$IP[192.168.1.1], 2000, 150, 3' }, ratio: 150, boostSeconds: 3, dynamic: false });
      expect(kbps(p.bandwidth)).toBe(2000);
      expect(kbps(p.rate)).toBe(3000);
      expect(p.boostBytes).toBe(3 * 375_000);
    });

    it('!HEADER[referer], 800 → 5 s (default) boost, then 800 Kbps', () => {
      const p = resolvePlan(facts({ headers: {} }), v, null, DEFAULT_LIMITS);
      expect(p.rule?.line).toBe(2);
      expect(kbps(p.rate)).toBe(800);
      expect(p.boostSeconds).toBe(5);
      expect(p.ratio).toBe(100);
      expect(p.boostBytes).toBe(5 * 100_000);
    });

    it('HEADER[cookie], , , 10 → 10 s boost, then 1000 Kbps', () => {
      const p = resolvePlan(facts({ headers: { referer: 'r', cookie: 'c=1' } }), v, null, DEFAULT_LIMITS);
      expect(p.rule?.line).toBe(3);
      expect(kbps(p.rate)).toBe(1000);
      expect(p.boostSeconds).toBe(10);
    });

    it('$URL[*.m4a], no → no BT', () => {
      const p = resolvePlan(facts({ path: '/music/a.m4a' }), v, null, DEFAULT_LIMITS);
      expect(p).toMatchObject({ throttle: false, rule: { line: 4 }, rate: null, bandwidth: null, boostBytes: 0 });
    });

    it('no rule matched → no BT', () => {
      const p = resolvePlan(facts(), v, null, DEFAULT_LIMITS);
      expect(p).toMatchObject({ throttle: false, rule: null, rate: null });
    });

    it('first match wins: an IP rule above a header rule', () => {
      const p = resolvePlan(facts({ ip: '192.168.1.1', headers: {} }), v, null, DEFAULT_LIMITS);
      expect(p.rule?.line).toBe(1);
    });
  });

  describe('the chapter x lines (nothing probed yet)', () => {
    const v = vhost({ throttling: true }, CHAPTER_X_RULES);

    it('$URL[/vod/*.mp4], 1000x, 120, 5 → dynamic, fallback 1000 × 120 %', () => {
      const p = resolvePlan(facts({ path: '/vod/a.mp4' }), v, null, DEFAULT_LIMITS);
      expect(p).toMatchObject({ throttle: true, dynamic: true, ratio: 120, boostSeconds: 5 });
      expect(kbps(p.bandwidth)).toBe(1000);
      expect(kbps(p.rate)).toBe(1200);
    });

    it('!HEADER[user-agent], 500x → dynamic, fallback 500', () => {
      const p = resolvePlan(facts({ path: '/a.mp4', headers: {} }), v, null, DEFAULT_LIMITS);
      expect(p).toMatchObject({ dynamic: true, ratio: 100, rule: { line: 2 } });
      expect(kbps(p.rate)).toBe(500);
    });

    it('$URL[/low_quality/*], x, 200 → dynamic, fallback the <Settings> bandwidth', () => {
      const p = resolvePlan(facts({ path: '/low_quality/a.mp4' }), v, null, DEFAULT_LIMITS);
      expect(p).toMatchObject({ dynamic: true, ratio: 200, rule: { line: 3 } });
      expect(kbps(p.bandwidth)).toBe(1000);
      expect(kbps(p.rate)).toBe(2000);
    });

    it('withEncodingRate puts the probed rate in place of the fallback', () => {
      const p = withEncodingRate(resolvePlan(facts({ path: '/vod/a.mp4' }), v, null, DEFAULT_LIMITS), 2_000_000);
      expect(p.bandwidth).toBe(250_000);
      expect(p.rate).toBe(300_000);
      expect(p.boostBytes).toBe(1_500_000);
      expect(p.dynamic).toBe(true);
    });

    it('withEncodingRate keeps the fallback when the rate is unknown', () => {
      const p = resolvePlan(facts({ path: '/vod/a.mp4' }), v, null, DEFAULT_LIMITS);
      expect(withEncodingRate(p, null)).toBe(p);
      expect(withEncodingRate(p, NaN)).toBe(p);
    });

    it('withEncodingRate leaves a fixed plan alone', () => {
      const fixed = resolvePlan(facts({ ip: '192.168.1.1' }), vhost({ throttling: true }, CHAPTER_RULES), null, DEFAULT_LIMITS);
      expect(withEncodingRate(fixed, 8_000_000)).toBe(fixed);
    });
  });

  describe('the chapter QueryString URLs', () => {
    const v = vhost(CHAPTER_QUERY_OPTIONS);

    it('?myboost=10&mybandwidth=1&myratio=130 → 10 s boost, then 1.3 Mbps', () => {
      const p = resolvePlan(facts({ query: { boost: '10', bandwidth: '1', ratio: '130' } }), v, null, DEFAULT_LIMITS);
      expect(p).toMatchObject({ throttle: true, rule: null, ratio: 130, boostSeconds: 10 });
      expect(kbps(p.rate)).toBe(1300);
    });

    it('?myratio=150 → the rest from <Settings>: 2 Mbps × 150 %, 3 s boost', () => {
      const p = resolvePlan(facts({ query: { ratio: '150' } }), v, null, DEFAULT_LIMITS);
      expect(p).toMatchObject({ throttle: true, ratio: 150, boostSeconds: 3 });
      expect(kbps(p.rate)).toBe(3000);
    });

    it('?myratio=150 with a matching rule → the rest from the rule', () => {
      const withRules = vhost(CHAPTER_QUERY_OPTIONS, ['$URL[/vod/*], 1, 100, 7']);
      const p = resolvePlan(facts({ path: '/vod/a.mp4', query: { ratio: '150' } }), withRules, null, DEFAULT_LIMITS);
      expect(p).toMatchObject({ ratio: 150, boostSeconds: 7 });
      expect(kbps(p.rate)).toBe(1500);
    });

    it('a rule saying no beats the query string', () => {
      const withNo = vhost(CHAPTER_QUERY_OPTIONS, ['$URL[*.m4a], no']);
      const p = resolvePlan(facts({ path: '/a.m4a', query: { bandwidth: '1', ratio: '130' } }), withNo, null, DEFAULT_LIMITS);
      expect(p.throttle).toBe(false);
    });

    it('no query field and no rule → no BT', () => {
      expect(resolvePlan(facts(), v, null, DEFAULT_LIMITS).throttle).toBe(false);
    });

    it('QueryString OFF → query values are not read', () => {
      const off = vhost({ ...CHAPTER_QUERY_OPTIONS, queryString: false });
      expect(resolvePlan(facts({ query: { ratio: '150' } }), off, null, DEFAULT_LIMITS).throttle).toBe(false);
    });

    it.each([['-1'], ['abc'], [''], ['NaN'], ['Infinity'], ['1e999']])('ignores the bad query value %j and falls through', (raw) => {
      const withRules = vhost(CHAPTER_QUERY_OPTIONS, ['$URL[/vod/*], 1, 110, 7']);
      const ignored: string[] = [];
      const p = resolvePlan(facts({ path: '/vod/a', query: { ratio: raw } }), withRules, null, DEFAULT_LIMITS, { onQueryValue: (f, r, o) => ignored.push(`${f}:${r}:${o}`) });
      expect(p.ratio).toBe(110);
      expect(ignored).toEqual([`ratio:${raw}:ignored`]);
    });

    it('clamps query values to the limits', () => {
      const limits = { bandwidth: 250_000, ratio: 200, boost: 30 };
      const p = resolvePlan(facts({ query: { bandwidth: '1000', ratio: '5000', boost: '99999' } }), v, null, limits);
      expect(p.bandwidth).toBe(250_000);
      expect(p.ratio).toBe(200);
      expect(p.boostSeconds).toBe(30);
    });

    it('never lifts Session or TrafficCap', () => {
      const capped = vhost({ ...CHAPTER_QUERY_OPTIONS, trafficCap: 50, sessionCap: 2000 });
      const p = resolvePlan(facts({ query: { bandwidth: '100' } }), capped, null, DEFAULT_LIMITS);
      expect(p.trafficCap).toBe(6_250_000);
      expect(p.sessionCap).toBe(250_000);
    });
  });

  describe('route overrides (query > route > rules > settings)', () => {
    const v = vhost({ ...CHAPTER_QUERY_OPTIONS }, ['$URL[/vod/*], 1, 110, 7', '$URL[*.m4a], no']);
    const route: RouteOverride = { bandwidth: { kind: 'fixed', bytesPerSecond: 50_000 }, ratio: 120 };

    it('beats the rule', () => {
      const p = resolvePlan(facts({ path: '/vod/a' }), v, route, DEFAULT_LIMITS);
      expect(p).toMatchObject({ bandwidth: 50_000, ratio: 120, boostSeconds: 7 });
    });

    it('loses to the query', () => {
      const p = resolvePlan(facts({ path: '/vod/a', query: { ratio: '90' } }), v, route, DEFAULT_LIMITS);
      expect(p).toMatchObject({ bandwidth: 50_000, ratio: 90 });
    });

    it('applies BT on its own when no rule matched', () => {
      const p = resolvePlan(facts({ path: '/other' }), v, route, DEFAULT_LIMITS);
      expect(p).toMatchObject({ throttle: true, bandwidth: 50_000, ratio: 120, boostSeconds: 3 });
    });

    it("says no and beats the query", () => {
      const p = resolvePlan(facts({ path: '/vod/a', query: { ratio: '90' } }), v, { bandwidth: { kind: 'no' } }, DEFAULT_LIMITS);
      expect(p.throttle).toBe(false);
    });

    it("cannot undo a rule's no", () => {
      expect(resolvePlan(facts({ path: '/a.m4a' }), v, route, DEFAULT_LIMITS).throttle).toBe(false);
    });

    it('a dynamic route bandwidth makes a dynamic plan', () => {
      const p = resolvePlan(facts({ path: '/other' }), v, { bandwidth: { kind: 'dynamic', fallbackBytesPerSecond: null } }, DEFAULT_LIMITS);
      expect(p).toMatchObject({ dynamic: true, bandwidth: 250_000 });
    });
  });

  describe('when <Throttling> is OFF', () => {
    it('has no BT whatever the rules, route and query say, but keeps the caps', () => {
      const v = vhost({ ...CHAPTER_QUERY_OPTIONS, throttling: false, trafficCap: 10 }, ['*, 100']);
      const p = resolvePlan(facts({ query: { ratio: '150' } }), v, { ratio: 50 }, DEFAULT_LIMITS);
      expect(p).toMatchObject({ throttle: false, trafficCap: 1_250_000, rule: null });
    });
  });

  it('returns a frozen plan', () => {
    const p = resolvePlan(facts({ ip: '192.168.1.1' }), vhost({ throttling: true }, CHAPTER_RULES), null, DEFAULT_LIMITS);
    expect(Object.isFrozen(p)).toBe(true);
  });
});
