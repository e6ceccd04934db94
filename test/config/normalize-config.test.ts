import { normalizeConfig } from '../../lib/config/normalize-config';
import { ConfigErrors } from '../../lib/errors';
import type { ConfigInput } from '../../lib/config/config-model';

function errorsOf(input: ConfigInput): string[] {
  try {
    normalizeConfig(input, { geoip: false });
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.format());
    throw e;
  }
  throw new Error('expected ConfigErrors');
}

describe('normalizeConfig (plain options)', () => {
  it('accepts typed values and strings alike', () => {
    const c = normalizeConfig(
      {
        defaults: { bandwidth: '2', unit: 'mbps', throttling: 'ON' },
        vhosts: [{ name: 'a', options: { ratio: 150, queryString: true, params: { ratio: 'r' } }, rules: ['*, 1'] }],
      },
      { geoip: false },
    );
    expect(c.vhosts[0]).toMatchObject({ throttling: true, queryString: true, settings: { bandwidth: 250_000, ratio: 150, params: { ratio: 'r' } } });
    expect(c.vhosts[0]?.rules[0]?.bandwidth).toEqual({ kind: 'fixed', bytesPerSecond: 125_000 });
  });

  it('names the option path in every error and collects them all', () => {
    expect(
      errorsOf({
        defaults: { ratio: -1 },
        vhosts: [{ name: 'a', options: { unit: 'gbps', trafficCap: NaN, turbo: true } as never, rules: ['*, 1', '*, no, 1, 2, 3'] }, { name: '' }],
        default: 'b',
      }),
    ).toEqual([
      '<options>:0:0: config.defaults.ratio: bad Ratio -1; expected a non-negative number (at most 1e15)',
      '<options>:0:0: config.vhosts[0].options.turbo: unknown option "turbo"; expected one of trafficCap, sessionCap, bandwidth, unit, ratio, boost, throttling, queryString, caseSensitive, xAccelLimitRate, params, viewer, sessionKey',
      '<options>:0:0: config.vhosts[0].options.unit: unknown unit "gbps"; expected kbps, mbps, bytes, kb or mb',
      '<options>:0:0: config.vhosts[0].options.trafficCap: bad TrafficCap NaN; expected a non-negative number (at most 1e15)',
      'config.vhosts[0].rules:2:14: too many fields (5); expected {condition},{bandwidth},{ratio},{boost}',
      '<options>:0:0: config.vhosts[1].name: vhost needs a Name',
      '<options>:0:0: config.default: <Default> names "b", which is not a vhost',
    ]);
  });

  it('never mutates its input', () => {
    const input: ConfigInput = { defaults: { ratio: 50 }, vhosts: [{ name: 'A', aliases: ['B'], options: { boost: '3 parsecs' as never }, rules: '*, 1' }] };
    const copy = structuredClone(input);
    expect(() => normalizeConfig(input, { geoip: false })).toThrow(ConfigErrors);
    normalizeConfig({ ...input, vhosts: [{ name: 'A', aliases: ['B'] }] }, { geoip: false });
    expect(input).toEqual(copy);
  });
});
