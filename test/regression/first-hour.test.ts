import path from 'node:path';
import { bandwidth, route, OptionError } from '../../lib/index';
import { normalizeConfig } from '../../lib/config/normalize-config';
import { readRate, readDuration } from '../../lib/config/amount';
import { run } from '../cli/cli';

// "The first hour": the traps a new user met, each now an error or a warning.
const ROOT = path.join(__dirname, '..', '..');
const VALID = path.join(ROOT, 'test', 'fixtures', 'conf', 'valid');

describe('regression: the first hour', () => {
  it('bandwidth() with nothing says the three ways to configure it', () => {
    expect(() => bandwidth(undefined as never)).toThrow(OptionError);
    expect(() => bandwidth({})).toThrow(/one of: the one-line form \(`\{ rate: '2mbps', boost: '5s' \}`/);
  });

  it("route({ bandwidth: 'fast' }) fails when the route is built, not per request", () => {
    expect(() => route({ bandwidth: 'fast' as never })).toThrow(/route\.bandwidth/);
  });

  it("a rule '$URL[/vod/*.mp4], 1.2x' is flagged as a likely ratio", () => {
    const config = normalizeConfig({ defaults: { throttling: true }, vhosts: [{ name: 'a', rules: '$URL[/vod/*.mp4], 1.2x' }, { name: 'b' }] }, { geoip: false });
    expect(config.warnings?.map((w) => w.code)).toEqual(['NX_TOO_SMALL']);
  });

  it('a plain config with rules throttles without `throttling` written', () => {
    const config = normalizeConfig({ vhosts: [{ name: 'a', rules: '*, 500' }, { name: 'b' }] }, { geoip: false, throttlingDefault: 'rules' });
    expect(config.vhosts.map((v) => v.throttling)).toEqual([true, false]);
    expect(config.warnings).toEqual([]);
  });

  it.each<[string[], number, RegExp]>([
    [['check', '--help'], 0, /^usage: koa-bandwidth check/],
    [['--version'], 0, /^\d+\.\d+\.\d+/],
    [['check', '--conf', path.join(ROOT, 'nope')], 2, /no such directory/],
    [['probe', VALID], 2, /is a directory/],
    [['explain', '--conf', VALID, '--url', '/', '--ip', '999.1.1.1'], 2, /not an IPv4 or IPv6 address/],
    [['serve', '--conf', VALID, '--media', path.join(ROOT, 'nope')], 2, /--media .*: no such directory/],
  ])('koa-bandwidth %j exits %d', async (argv, code, message) => {
    const r = await run(argv);
    expect(r.code).toBe(code);
    expect(code === 0 ? r.stdout : r.stderr).toMatch(message);
  });

  it('reads hostile amount strings in linear time, and refuses them', () => {
    const long = `${'1'.repeat(100_000)}${' '.repeat(100_000)}kbps!`;
    const t0 = performance.now();
    expect(readRate(long).ok).toBe(false);
    expect(readDuration(`${'9'.repeat(200_000)}s`).ok).toBe(false);
    expect(readRate(`1${' '.repeat(100_000)}x`).ok).toBe(false);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
