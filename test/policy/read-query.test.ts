import fc from 'fast-check';
import { readQueryValues, parseQueryNumber, type QueryField, type QueryLimits } from '../../lib/policy/read-query';
import { DEFAULT_LIMITS, resolvePlan, withEncodingRate } from '../../lib/policy/resolve-plan';
import { takeBtParams } from '../../lib/policy/take-bt-params';
import type { QueryValue, RequestFacts } from '../../lib/types';
import { CHAPTER_QUERY_OPTIONS, vhost } from './vhost';

const PARAM: Record<QueryField, string> = { bandwidth: 'mybandwidth', ratio: 'myratio', boost: 'myboost' };
/** 100 kbps, 100 %, 5 s: tighter than the rule below on bandwidth, equal elsewhere. */
const TIGHT: QueryLimits = { bandwidth: 12_500, ratio: 100, boost: 5 };
const LIMITS: [string, QueryLimits][] = [
  ['default limits', DEFAULT_LIMITS],
  ['limits { bandwidth: 12500, ratio: 100, boost: 5 }', TIGHT],
];

// A 2000 kbps rule (unit kbps here), ratio 110 %, boost 7 s; <Settings> 1000 kbps / 100 % / 3 s.
const v = vhost({ ...CHAPTER_QUERY_OPTIONS, unit: 'kbps', bandwidth: 1000 }, ['$URL[/vod/*], 2000, 110, 7']);
const facts = (query: RequestFacts['query'], path = '/vod/a.mp4'): RequestFacts => ({ ip: '10.0.0.1', path, headers: {}, query });

/** Every bad value of the table, with the reason `explain` and debuglog give. */
const BAD: [string, QueryValue, string][] = [
  ['0', '0', 'not above 0'],
  ['0.0', '0.0', 'not above 0'],
  ['-1', '-1', 'not a plain decimal number'],
  ['0x10', '0x10', 'not a plain decimal number'],
  ['1e2', '1e2', 'not a plain decimal number'],
  ['Infinity', 'Infinity', 'not a plain decimal number'],
  ['NaN', 'NaN', 'not a plain decimal number'],
  ['empty', '', 'empty'],
  ['" 5" (space)', ' 5', 'not a plain decimal number'],
  ['+5', '+5', 'not a plain decimal number'],
  ['repeated', ['5', '6'], 'repeated'],
  ['400 digits', '9'.repeat(400), 'not finite'],
];
const FIELDS: QueryField[] = ['bandwidth', 'ratio', 'boost'];
const TABLE = LIMITS.flatMap(([ln, limits]) => FIELDS.flatMap((field) => BAD.map(([name, raw, reason]) => [ln, field, name, limits, raw, reason] as const)));

describe('parseQueryNumber', () => {
  it.each([
    ['5', 5],
    ['12.5', 12.5],
    ['.5', 0.5],
    ['007', 7],
  ])('reads the plain decimal %j', (raw, want) => {
    expect(parseQueryNumber(raw)).toBe(want);
  });
});

describe('a query value that is not a positive plain decimal', () => {
  const ruleOnly = resolvePlan(facts({}), v, null, DEFAULT_LIMITS);

  it.each(TABLE)('with %s, %s=%s is ignored: the field falls back to the rule', (_ln, field, _name, limits, raw, reason) => {
    const notes: string[] = [];
    const p = resolvePlan(facts({ [field]: raw }), v, null, limits, { onQueryValue: (f, r, o, why, param) => notes.push(`${param}:${f}:${JSON.stringify(r)}:${o}:${why}`) });
    expect(notes).toEqual([`${PARAM[field]}:${field}:${JSON.stringify(raw)}:ignored:${reason}`]);
    expect(p).toEqual(ruleOnly);
    expect(p.throttle).toBe(true);
    expect(p.rate).toBe(275_000); // 2000 kbps × 110 %
  });

  it.each(TABLE)('with %s, %s=%s in a real query string is stripped and ignored the same way', (_ln, field, _name, limits, raw, reason) => {
    const qs = ['a=1', ...(typeof raw === 'string' ? [raw] : raw).map((x) => `${PARAM[field]}=${encodeURIComponent(x)}`), 'b=2'].join('&');
    const { querystring, query } = takeBtParams(v, qs);
    expect(querystring).toBe('a=1&b=2');
    const notes: string[] = [];
    const p = resolvePlan(facts(query), v, null, limits, { onQueryValue: (_f, _r, o, why) => notes.push(`${o}:${why}`) });
    expect(notes).toEqual([`ignored:${reason}`]);
    expect(p).toEqual(ruleOnly);
  });

  it.each(TABLE)('with %s, %s=%s does not give BT where no rule matched', (_ln, field, _name, limits, raw) => {
    const p = resolvePlan(facts({ [field]: raw }, '/other.mp4'), v, null, limits);
    expect(p.throttle).toBe(false);
  });

  it.each(LIMITS)('with %s, a bad value beside a good one keeps the good one', (_ln, limits) => {
    const { values, notes } = readQueryValues({ bandwidth: '0', ratio: '50', boost: '0x10' }, v, limits);
    expect(values).toEqual({ ratio: 50 });
    expect(notes.map((n) => `${n.param}:${n.outcome}:${n.reason}`)).toEqual(['mybandwidth:ignored:not above 0', 'myboost:ignored:not a plain decimal number']);
  });
});

describe('a good query value', () => {
  it.each([
    ['bandwidth', '500', { bandwidth: 62_500 }],
    ['ratio', '50', { ratio: 50 }],
    ['boost', '2', { boost: 2 }],
  ] as const)('%s=%s is read in the vhost unit', (field, raw, want) => {
    expect(readQueryValues({ [field]: raw }, v, DEFAULT_LIMITS)).toEqual({ values: want, notes: [] });
  });

  it('is ignored when its limit is 0 (the field cannot be set from the query)', () => {
    const { values, notes } = readQueryValues({ bandwidth: '500' }, v, { ...DEFAULT_LIMITS, bandwidth: 0 });
    expect(values).toEqual({});
    expect(notes[0]).toMatchObject({ outcome: 'ignored', reason: 'limits.bandwidth is 0' });
  });
});

describe('no query value gives a rate above limits.bandwidth', () => {
  it.each([
    ['mybandwidth=99999', { bandwidth: '99999' }],
    ['myratio=1000', { ratio: '1000' }],
    ['mybandwidth=100&myratio=1000', { bandwidth: '100', ratio: '1000' }],
    ['mybandwidth=99999&myratio=100&myboost=9999', { bandwidth: '99999', ratio: '100', boost: '9999' }],
  ])('?%s with limits.bandwidth 12500', (_q, query) => {
    const p = resolvePlan(facts(query), v, null, { ...DEFAULT_LIMITS, bandwidth: 12_500 });
    expect(p.throttle).toBe(true);
    expect(p.rate).toBe(12_500);
    expect(p.boostBytes).toBe(p.boostSeconds * 12_500);
  });

  it('nor through the encoding rate of an x rule', () => {
    const dyn = vhost({ ...CHAPTER_QUERY_OPTIONS, unit: 'kbps', bandwidth: 1000 }, ['$URL[/vod/*], x']);
    const p = resolvePlan(facts({ ratio: '1000' }), dyn, null, { ...DEFAULT_LIMITS, bandwidth: 12_500 });
    expect(p.rate).toBe(12_500);
    expect(withEncodingRate(p, 2_000_000).rate).toBe(12_500);
    expect(withEncodingRate(p, 8_000).rate).toBe(10_000); // 1 kB/s × 1000 %: under the limit
  });

  it('but a query may still lower the rate below the rule', () => {
    const p = resolvePlan(facts({ ratio: '10' }), v, null, { ...DEFAULT_LIMITS, bandwidth: 12_500 });
    expect(p.rate).toBe(12_500);
    const low = resolvePlan(facts({ bandwidth: '50' }), v, null, { ...DEFAULT_LIMITS, bandwidth: 12_500 });
    expect(low.rate).toBe(6_875); // 50 kbps × 110 %
  });

  it('a limit of 0 stops the query setting that field, and never makes the rate 0', () => {
    const p = resolvePlan(facts({ bandwidth: '500', ratio: '50' }), v, null, { ...DEFAULT_LIMITS, bandwidth: 0 });
    expect(p).toMatchObject({ throttle: true, bandwidth: 250_000, ratio: 50, rate: 125_000 });
  });

  it('leaves a plan the query did not shape alone', () => {
    const p = resolvePlan(facts({ boost: '1' }), v, null, { ...DEFAULT_LIMITS, bandwidth: 12_500 });
    expect(p.rate).toBe(275_000);
    expect(p.maxRate).toBeUndefined();
  });
});

describe('takeBtParams', () => {
  it('passes a repeated param on as a list, and strips every copy', () => {
    const { querystring, query } = takeBtParams(v, 'a=1&mybandwidth=5&b=2&mybandwidth=0');
    expect(querystring).toBe('a=1&b=2');
    expect(query).toEqual({ bandwidth: ['5', '0'] });
  });

  it('keeps a value with a malformed escape as written (then ignored as not a number)', () => {
    const { query } = takeBtParams(v, 'myratio=5%zz');
    expect(query).toEqual({ ratio: '5%zz' });
    expect(readQueryValues(query, v, DEFAULT_LIMITS).notes[0]?.reason).toBe('not a plain decimal number');
  });
});

describe('any query string (property)', () => {
  const value = fc.oneof(fc.constantFrom('0', '-0', '0.0', '1', '1e2', '0x10', '', 'Infinity', '.5', '5.', '00', '9'.repeat(400)), fc.string({ maxLength: 8 }), fc.stringMatching(/^[0-9.]{1,8}$/));
  const pair = fc.tuple(fc.constantFrom('mybandwidth', 'myratio', 'myboost', 'x'), value).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  const limits = fc.constantFrom<QueryLimits>(DEFAULT_LIMITS, TIGHT, { bandwidth: 1, ratio: 1, boost: 0 });

  it('never switches off the BT a rule gives, never lifts limits, never throws', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), limits, (pairs, lim) => {
        const { query } = takeBtParams(v, pairs.join('&'));
        const p = resolvePlan(facts(query), v, null, lim);
        expect(p.throttle).toBe(true);
        expect(Number.isFinite(p.rate) && (p.rate as number) > 0).toBe(true);
        expect(Number.isFinite(p.boostBytes) && p.boostBytes >= 0).toBe(true);
        // Read from the query → within limits; otherwise the rule's value.
        const fromQuery = readQueryValues(query, v, lim).values;
        if (fromQuery.bandwidth !== undefined || fromQuery.ratio !== undefined) expect(p.rate).toBeLessThanOrEqual(lim.bandwidth);
        else expect(p.rate).toBe(275_000);
        expect(p.boostSeconds).toBe(fromQuery.boost ?? 7);
        expect(p.boostSeconds).toBeLessThanOrEqual(Math.max(7, lim.boost));
      }),
      { numRuns: 500 },
    );
  });
});
