import Router from '@koa/router';
import Koa from 'koa';
import request from 'supertest';
import { bandwidth, route, OptionError, ConfigErrors, type BandwidthOptions } from '../../lib/index';
import { echo, echoApp } from './app';

const config = {
  defaults: { throttling: true, queryString: true, params: { bandwidth: 'bw', ratio: 'r', boost: 'b' } },
  vhosts: [{ name: 'a.test', rules: ['$URL[/rules/*], 100, 110, 7', '$URL[*.m4a], no'] }],
  trustedProxies: ['127.0.0.1', '::1'], // the tests' client names itself with X-Forwarded-For
};

describe('bandwidth()', () => {
  describe('when the host matches no vhost and there is no <Default>', () => {
    it('passes the request through untouched, without state', async () => {
      const { app } = echoApp({ config });
      const body = await request(app.callback()).get('/x?bw=5').set('Host', 'other.test').expect(200).then((r) => r.body);
      expect(body).toMatchObject({ plan: null, url: '/x?bw=5' });
    });
  });

  it('keeps the request facts as they reached it: client IP, decoded path, headers, BT params', async () => {
    const seen: unknown[] = [];
    const { app } = echoApp({ config }, (a) =>
      a.use((ctx) => {
        const f = ctx.bandwidth!.facts;
        seen.push({ ip: f.ip, path: f.path, ua: f.headers['user-agent'], query: f.query }, JSON.parse(JSON.stringify(f)));
        ctx.body = 'ok';
      }),
    );
    await request(app.callback()).get('/a%20b.mp4?bw=300&x=1').set('Host', 'a.test').set('X-Forwarded-For', '203.0.113.9').set('User-Agent', 'probe/1').expect(200);
    await request(app.callback()).get('/plain.mp4').set('Host', 'a.test').set('X-Forwarded-For', '198.51.100.2').expect(200);
    expect(seen[0]).toEqual({ ip: '203.0.113.9', path: '/a b.mp4', ua: 'probe/1', query: { bandwidth: '300' } });
    expect(seen[1]).toMatchObject({ ip: '203.0.113.9', path: '/a b.mp4', query: { bandwidth: '300' } });
    expect(seen[2]).toEqual({ ip: '198.51.100.2', path: '/plain.mp4', ua: undefined, query: {} });
  });

  it('is a named async function with controls', () => {
    const bw = bandwidth({ config });
    expect(bw.name).toBe('bandwidthMiddleware');
    expect(typeof bw.reload).toBe('function');
    expect(typeof bw.events.on).toBe('function');
    expect(bw.config.vhosts[0]?.name).toBe('a.test');
  });

  it('throws ConfigErrors at startup for a bad config', () => {
    expect(() => bandwidth({ config: { vhosts: [{ name: 'a', rules: ['$NOPE[x]'] }] } })).toThrow(ConfigErrors);
  });

  describe('options', () => {
    it.each<[string, unknown, RegExp]>([
      ['unknown key', { config, speed: 1 }, /option `speed` must be one of the known options/],
      ['no way to say what to throttle', {}, /option `options` must be one of: the one-line form \(`{ rate: '2mbps', boost: '5s' }`/],
      ['both conf and config', { conf: 'x', config }, /option `conf` must be/],
      ['bad session', { config, session: 'cookie' }, /option `session` must be 'connection', 'ip', 'viewer' or a function/],
      ['bad store', { config, store: {} }, /option `store` must be a CapStore/],
      ['bad geoip', { config, geoip: 'maxmind' }, /option `geoip` must be a function/],
      ['negative limit', { config, limits: { ratio: -1 } }, /option `limits.ratio` must be a finite percentage ≥ 0, got -1/],
      ['unknown limit', { config, limits: { speed: 1 } }, /option `limits.speed`/],
      ['NaN maxHeaderBytes', { config, maxHeaderBytes: NaN }, /option `maxHeaderBytes` must be an integer number of bytes ≥ 0, got NaN/],
      ['bad logger', { config, logger: console.log }, /option `logger` must be a pino-compatible logger/],
      ['watch with config', { config, watch: true }, /option `watch`/],
      ['bad clock', { config, clock: 5 }, /option `clock`/],
      ['a bad one-line rate', { rate: 'fast' }, /option `rate` must be a number of bytes\/s ≥ 0 or a string with a unit/],
      ['a one-line boost alone', { boost: '5s' }, /option `boost` must be given with `rate`/],
      ['the one-line form with conf', { rate: '1mbps', conf: 'x' }, /option `conf` must be given alone/],
    ])('rejects %s with an OptionError', (_what, opts, message) => {
      let err: unknown;
      try {
        bandwidth(opts as BandwidthOptions);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OptionError);
      expect((err as Error).message).toMatch(message);
    });

    it('does not mutate the options object', () => {
      const opts = { config: structuredClone(config), limits: { ratio: 500 } };
      const copy = structuredClone(opts);
      bandwidth(opts);
      expect(opts).toEqual(copy);
    });

    it('uses ?? so that a zero limit is kept: the query cannot set that field', async () => {
      const { app } = echoApp({ config, limits: { bandwidth: 0, boost: 0 } });
      const body = await request(app.callback()).get('/rules/x?bw=100&b=9&r=50').set('Host', 'a.test').then((r) => r.body);
      // bandwidth and boost from the rule (100 kbps, 7 s), ratio from the query.
      expect(body.plan).toMatchObject({ throttle: true, bandwidth: 12_500, ratio: 50, rate: 6_250, boostSeconds: 7 });
    });
  });

  describe('query values from the client', () => {
    it('ignores bad ones and clamps big ones', async () => {
      const { app } = echoApp({ config, limits: { ratio: 300 } });
      const body = await request(app.callback()).get('/rules/x?r=99999&b=-4&bw=abc').set('Host', 'a.test').then((r) => r.body);
      expect(body.plan).toMatchObject({ ratio: 300, boostSeconds: 7, bandwidth: 12_500 });
      expect(body.url).toBe('/rules/x');
    });
  });

  describe('route()', () => {
    function routed(): Koa {
      const router = new Router();
      router.get('/slow/:f', route({ bandwidth: '40kbps', ratio: 50 }), echo);
      router.get('/free/:f', route({ bandwidth: 'no' }), echo);
      router.get('/dyn/:f', route({ bandwidth: '37500x', boost: '2s' }), echo);
      router.get('/rules/:f', route({ boost: 1 }), echo);
      return echoApp({ config }, (app) => app.use(router.routes())).app;
    }
    const get = (url: string) => request(routed().callback()).get(url).set('Host', 'a.test').then((r) => r.body);

    it('slots between query and rules', async () => {
      expect((await get('/slow/a')).plan).toMatchObject({ throttle: true, bandwidth: 5000, ratio: 50, boostSeconds: 5 });
      expect((await get('/slow/a?r=80')).plan).toMatchObject({ bandwidth: 5000, ratio: 80 });
      expect((await get('/rules/a')).plan).toMatchObject({ bandwidth: 12_500, ratio: 110, boostSeconds: 1 });
    });

    it("disables BT with 'no', even against the query", async () => {
      expect((await get('/free/a?bw=10')).plan).toMatchObject({ throttle: false });
    });

    it('makes a dynamic plan with Nx', async () => {
      expect((await get('/dyn/a')).plan).toMatchObject({ dynamic: true, bandwidth: 37_500, boostSeconds: 2 });
    });

    it('is reflected in the plan the middleware holds after next()', async () => {
      const seen: unknown[] = [];
      const router = new Router();
      router.get('/slow/:f', route({ bandwidth: 5000 }), (ctx) => {
        ctx.body = 'ok';
      });
      const app = new Koa();
      app.use(async (ctx, next) => {
        await next();
        seen.push(ctx.bandwidth?.plan.bandwidth);
      });
      app.use(bandwidth({ config }));
      app.use(router.routes());
      await request(app.callback()).get('/slow/a').set('Host', 'a.test').expect(200);
      expect(seen).toEqual([5000]);
    });

    it.each<[string, unknown, RegExp]>([
      ['bad bandwidth', { bandwidth: 'fast' }, /option `route.bandwidth` must be a rate \(bytes\/s, or '800kbps', '2mbps', '64KiB\/s'\), 'x', '<N>x' \(N in bytes\/s\) or 'no', got "fast"/],
      ['negative bandwidth', { bandwidth: -1 }, /route.bandwidth/],
      ['an ambiguous unit', { bandwidth: '500kb' }, /option `route.bandwidth` must be a rate with an unambiguous unit: 'kbps' \(1000 bit\/s\) or 'KiB\/s' \(1024 bytes\/s\)/],
      ['an Nx that reads like a ratio', { bandwidth: '1.2x' }, /option `route.bandwidth` must be '<N>x' with N in bytes\/s of at least 1250.*did you mean \{ bandwidth: 'x', ratio: 120 \}/],
      ['bad ratio', { ratio: Infinity }, /option `route.ratio` must be a percentage/],
      ['bad boost', { boost: '5' }, /option `route.boost`/],
      ['a boost in an unknown unit', { boost: '5 parsecs' }, /option `route.boost` must be a number of seconds ≥ 0 or a string with a unit/],
      ['unknown key', { rate: 1 }, /option `route.rate`/],
    ])('rejects %s', (_w, opts, message) => {
      expect(() => route(opts as never)).toThrow(message);
    });
  });
});
