import { ConfigError } from '../../lib/errors';
import { parseBoost, parseRuleList } from '../../lib/policy/parse-rule-list';

const opts = { file: 'svc/www/throttling.txt', unit: 'kbps' as const, caseInsensitive: false, geoip: false };

describe('parseRuleList', () => {
  it('reads the fields, trimming spaces, with omitted and empty fields left undefined', () => {
    const { rules, errors } = parseRuleList('$IP[192.168.1.1], 2000, 150, 3\n!HEADER[referer], 800\nHEADER[cookie], , , 10\n$URL[*.m4a], no\n*.jpg', opts);
    expect(errors).toEqual([]);
    expect(rules.map((r) => [r.line, r.bandwidth, r.ratio, r.boost])).toEqual([
      [1, { kind: 'fixed', bytesPerSecond: 250_000 }, 150, 3],
      [2, { kind: 'fixed', bytesPerSecond: 100_000 }, undefined, undefined],
      [3, undefined, undefined, 10],
      [4, { kind: 'no' }, undefined, undefined],
      [5, undefined, undefined, undefined],
    ]);
  });

  it.each([
    ['x', { kind: 'dynamic', fallbackBytesPerSecond: null }],
    ['X', { kind: 'dynamic', fallbackBytesPerSecond: null }],
    ['1000x', { kind: 'dynamic', fallbackBytesPerSecond: 125_000 }],
    ['1.5x', { kind: 'dynamic', fallbackBytesPerSecond: 187.5 }],
    ['NO', { kind: 'no' }],
    ['0', { kind: 'fixed', bytesPerSecond: 0 }],
    ['12.5', { kind: 'fixed', bytesPerSecond: 1562.5 }],
  ])('bandwidth %j', (field, spec) => {
    expect(parseRuleList(`*, ${field}`, opts).rules[0]?.bandwidth).toEqual(spec);
  });

  it('reads bandwidth in the vhost unit', () => {
    expect(parseRuleList('*, 2', { ...opts, unit: 'mb' }).rules[0]?.bandwidth).toEqual({ kind: 'fixed', bytesPerSecond: 2 * 1_048_576 });
  });

  it.each([['5', 5], ['5s', 5], ['5sec', 5], ['5secs', 5], ['5 secs', 5], ['2.5S', 2.5]])('boost %j is %d s', (text, want) => {
    expect(parseBoost(text)).toBe(want);
  });
  it.each([['5m'], ['-5'], ['s'], ['5secss'], ['']])('boost %j is rejected', (text) => {
    expect(parseBoost(text)).toBeNull();
  });

  it('skips blank lines and comments and counts lines from 1', () => {
    const { rules } = parseRuleList('\n# comment\n   \n  # indented comment\r\n*, 1\r\n', opts);
    expect(rules.map((r) => r.line)).toEqual([5]);
  });

  it('splits fields outside brackets only', () => {
    const { rules, errors } = parseRuleList('$HEADER[accept: a, b], 300, 50', opts);
    expect(errors).toEqual([]);
    expect(rules[0]?.ratio).toBe(50);
    expect(rules[0]?.condition).toBeInstanceOf(Function);
  });

  it.each([
    ['$IP[300.1.1.1], 100', 1, 5, /bad IP/],
    ['$HEADER[cookie, 100', 1, 8, /unbalanced/],
    ['$COOKIE[x], 100', 1, 2, /unknown condition kind/],
    ['*, fast', 1, 4, /bad bandwidth "fast"/],
    ['*, -5', 1, 4, /bad bandwidth/],
    ['*, 1x2', 1, 4, /bad bandwidth/],
    ['*, 1, 2, 3, 4', 1, 13, /too many fields/],
    ['*, 1, lots', 1, 7, /bad ratio/],
    ['*, 1, 2, 5m', 1, 10, /bad boost/],
    [', 100', 1, 1, /missing condition/],
    ['$IP[KR], 1', 1, 5, /geoip/],
  ])('%j is an error at %d:%d', (line, l, c, message) => {
    const { rules, errors } = parseRuleList(line, opts);
    expect(rules).toEqual([]);
    expect(errors).toHaveLength(1);
    const e = errors[0] as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect([e.file, e.line, e.column]).toEqual([opts.file, l, c]);
    expect(e.message).toMatch(message);
  });

  it('collects every bad line, keeping the good ones', () => {
    const { rules, errors } = parseRuleList('*, a\n*, 1\n*, b\n', opts);
    expect(rules.map((r) => r.line)).toEqual([2]);
    expect(errors.map((e) => e.format())).toEqual([
      'svc/www/throttling.txt:1:4: bad bandwidth "a"; expected a non-negative number, Nx, x or no',
      'svc/www/throttling.txt:3:4: bad bandwidth "b"; expected a non-negative number, Nx, x or no',
    ]);
  });
});
