import request from 'supertest';
import { bandwidth, type BandwidthOptions } from '../../lib/index';
import { echoApp } from './app';

/** The plan a request on any host gets under `opts`. */
async function planOf(opts: BandwidthOptions, url = '/movie.mp4', host = 'any.test'): Promise<Record<string, unknown>> {
  const { app, bw } = echoApp(opts);
  const body = await request(app.callback()).get(url).set('Host', host).expect(200).then((r) => r.body as { plan: Record<string, unknown> });
  await bw.close();
  return body.plan;
}

describe('the one-line form of bandwidth()', () => {
  it.each<[string, BandwidthOptions, Record<string, unknown>]>([
    ["rate '2mbps' and boost '5s'", { rate: '2mbps', boost: '5s' }, { throttle: true, rate: 250_000, boostSeconds: 5, boostBytes: 1_250_000, sessionCap: 0, trafficCap: 0 }],
    ['rate in bytes/s, no boost', { rate: 64_000 }, { throttle: true, rate: 64_000, boostBytes: 0 }],
    ["rate '64KiB/s', boost '500ms'", { rate: '64KiB/s', boost: '500ms' }, { rate: 65_536, boostSeconds: 0.5, boostBytes: 32_768 }],
    ["rate 'x': the media rate, 1000 kbps until probed", { rate: 'x' }, { throttle: true, dynamic: true, rate: 125_000 }],
    ["sessionCap '4mbps' alone: no BT, the cap", { sessionCap: '4mbps' }, { throttle: false, rate: null, sessionCap: 500_000, trafficCap: 0 }],
    ["trafficCap '50mbps' alone", { trafficCap: '50mbps' }, { throttle: false, trafficCap: 6_250_000 }],
    ['all four', { rate: '1mbps', boost: 2, sessionCap: '2mbps', trafficCap: '10mbps' }, { throttle: true, rate: 125_000, boostBytes: 250_000, sessionCap: 250_000, trafficCap: 1_250_000 }],
  ])('%s', async (_what, opts, expected) => {
    expect(await planOf(opts)).toMatchObject({ vhost: 'default', ...expected });
  });

  it.each(['localhost', '127.0.0.1', '[::1]', 'cdn.example.com'])('applies to every host (%s), with no warning', async (host) => {
    expect(await planOf({ rate: '2mbps', logger: { debug() {}, info() {}, error() {}, warn: () => { throw new Error('no warning expected'); } } }, '/a', host)).toMatchObject({ throttle: true, rate: 250_000 });
  });

  it('names its one vhost `default` in stats()', async () => {
    const bw = bandwidth({ trafficCap: '8mbps' });
    expect(bw.stats().vhosts.map((v) => [v.name, v.cap])).toEqual([['default', 1_000_000], ['_unmatched', 0]]);
    await bw.close();
  });

  it('does not mutate the options', () => {
    const opts = Object.freeze({ rate: '2mbps', boost: '5s' }) as BandwidthOptions;
    expect(() => bandwidth(opts)).not.toThrow();
  });
});

describe('limits with units', () => {
  const config = {
    defaults: { throttling: true, queryString: true, params: { bandwidth: 'bw', ratio: 'r', boost: 'b' } },
    vhosts: [{ name: 'a.test', rules: '*, 100' }],
    default: 'a.test',
  };

  it("clamps query values to limits written as '1mbps', '150%' and '10s'", async () => {
    const plan = await planOf({ config, limits: { bandwidth: '1mbps', ratio: '150%', boost: '10s' } }, '/a?bw=99999&r=400&b=60');
    expect(plan).toMatchObject({ bandwidth: 125_000, ratio: 150, boostSeconds: 10 });
  });

  it.each<[BandwidthOptions['limits'], RegExp]>([
    [{ bandwidth: '1mb' as never }, /option `limits.bandwidth` must be a rate with an unambiguous unit/],
    [{ boost: '10' as never }, /option `limits.boost` must be a number of seconds ≥ 0 or a string with a unit/],
    [{ ratio: -1 }, /option `limits.ratio` must be a finite percentage ≥ 0, got -1/],
  ])('rejects %j', (limits, message) => {
    expect(() => bandwidth({ config, limits })).toThrow(message);
  });
});
