import { normalizeConfig } from '../../lib/config/normalize-config';
import { ConfigErrors } from '../../lib/errors';
import { parseRuleList } from '../../lib/policy/parse-rule-list';
import { route } from '../../lib/route';

// Regression: a 400-digit bandwidth × the `mb` unit overflowed to Infinity and gave a plan
// with an infinite rate. Amounts above 1e15 are now config errors.
describe('huge amounts', () => {
  const huge = '9'.repeat(400);

  it('are a config error in rule fields', () => {
    const { errors } = parseRuleList(`*, ${huge}x, ${huge}`, { file: 'r', unit: 'mb', caseInsensitive: false, geoip: false });
    expect(errors.map((e) => e.message)).toEqual([`bad bandwidth "${huge}x"; expected a non-negative number, Nx, x or no`]);
  });

  it('are a config error in options', () => {
    expect(() => normalizeConfig({ vhosts: [{ name: 'a', options: { bandwidth: 1e300, unit: 'mb' } }] }, { geoip: false })).toThrow(ConfigErrors);
    expect(() => normalizeConfig({ vhosts: [{ name: 'a', options: { ratio: '1000000000000001' } }] }, { geoip: false })).toThrow(/at most 1e15/);
  });

  it('are an option error in route()', () => {
    expect(() => route({ bandwidth: 1e300 })).toThrow(/route.bandwidth/);
  });

  it('1e15 itself is accepted', () => {
    expect(parseRuleList('*, 1000000000000000', { file: 'r', unit: 'mb', caseInsensitive: false, geoip: false }).errors).toEqual([]);
  });
});
