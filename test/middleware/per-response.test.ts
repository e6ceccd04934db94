import Koa from 'koa';
import request from 'supertest';
import { bandwidth, OptionError, type BandwidthOptions } from '../../lib/index';
import type { Plan } from '../../lib/types';

/** An app whose handler runs `handle`, sets a body, and whose outer middleware reports the final plan. */
function app(opts: BandwidthOptions, handle: (ctx: Koa.Context) => void): { server: ReturnType<Koa['callback']>; plans: (Plan | undefined)[]; sessions: string[] } {
  const plans: (Plan | undefined)[] = [];
  const sessions: string[] = [];
  const a = new Koa();
  const bw = bandwidth(opts);
  bw.events.on('response', (r: { session: string }) => sessions.push(r.session));
  a.use(async (ctx, next) => {
    await next();
    plans.push(ctx.bandwidth?.plan);
  });
  a.use(bw);
  a.use((ctx) => {
    handle(ctx);
    if (ctx.body === undefined) ctx.body = 'x'.repeat(100);
  });
  return { server: a.callback(), plans, sessions };
}

const config = {
  defaults: { throttling: true, boost: 2 },
  vhosts: [{ name: 'a.test', rules: ['$MIME[video/*], 800, 100, 1min 30secs', '$METHOD[POST], no', '$PROTOCOL[https], 100', '$URL[/bt/*], 400'] }],
  default: 'a.test',
};

describe('per-response control (ctx.bandwidth)', () => {
  describe('from a handler, before the body', () => {
    it.each([
      ['BT off, like ctx.compress = false', (ctx: Koa.Context) => void (ctx.bandwidth!.throttle = false), { throttle: false, rate: null }],
      ['a rate with its unit', (ctx: Koa.Context) => void (ctx.bandwidth!.rate = '2mbps'), { throttle: true, rate: 250_000, ratio: 100 }],
      ['a rate in bytes/s', (ctx: Koa.Context) => void (ctx.bandwidth!.rate = 1000), { throttle: true, rate: 1000 }],
      ['a ratio on the rule', (ctx: Koa.Context) => void (ctx.bandwidth!.ratio = 50), { throttle: true, rate: 25_000 }],
      ['a time boost', (ctx: Koa.Context) => void (ctx.bandwidth!.boost = '1min'), { boostSeconds: 60, boostBytes: 3_000_000 }],
      ['a byte boost', (ctx: Koa.Context) => void ctx.bandwidth!.set({ boost: '512KB' }), { boostBy: 'bytes', boostBytes: 524_288 }],
      ['set() with several fields', (ctx: Koa.Context) => void ctx.bandwidth!.set({ rate: '800kbps', ratio: 50, boost: 0 }), { rate: 50_000, boostBytes: 0 }],
    ])('%s', async (_name, handle, want) => {
      const { server, plans } = app({ config }, handle);
      await request(server).get('/bt/a.bin').set('Host', 'a.test').expect(200);
      expect(plans[0]).toMatchObject(want);
    });

    it('keeps what the app set when code replaces the resolved plan', async () => {
      const { server, plans } = app({ config }, (ctx) => {
        const b = ctx.bandwidth!;
        b.ratio = 50;
        b.plan = { ...b.plan, bandwidth: 10_000, rate: 10_000, ratio: 100 };
      });
      await request(server).get('/bt/a.bin').set('Host', 'a.test').expect(200);
      expect(plans[0]).toMatchObject({ bandwidth: 10_000, ratio: 50, rate: 5000 });
    });

    it('rejects a bad value with an OptionError naming the field', async () => {
      const errors: unknown[] = [];
      const { server } = app({ config }, (ctx) => {
        try {
          // @ts-expect-error the types refuse it too
          ctx.bandwidth!.rate = '2 lightyears';
        } catch (e) {
          errors.push(e);
        }
      });
      await request(server).get('/bt/a.bin').set('Host', 'a.test').expect(200);
      expect(errors[0]).toBeInstanceOf(OptionError);
      expect((errors[0] as OptionError).option).toBe('ctx.bandwidth.rate');
    });
  });
});

describe('conditions on the request and the response', () => {
  it('decides MIME[...] once the handlers have set the type, before metering', async () => {
    const { server, plans } = app({ config }, (ctx) => {
      ctx.type = 'video/mp4';
    });
    await request(server).get('/film').set('Host', 'a.test').expect(200);
    expect(plans[0]).toMatchObject({ throttle: true, rule: { line: 1 }, rate: 100_000, boostSeconds: 90 });
  });

  it('does not match MIME[video/*] for other types', async () => {
    const { server, plans } = app({ config }, (ctx) => {
      ctx.type = 'text/html';
    });
    await request(server).get('/film').set('Host', 'a.test').expect(200);
    expect(plans[0]).toMatchObject({ throttle: false, rule: null });
  });

  it('matches METHOD[...]', async () => {
    const { server, plans } = app({ config }, () => {});
    await request(server).post('/bt/a').set('Host', 'a.test').expect(200);
    expect(plans[0]).toMatchObject({ throttle: false, rule: { line: 2 } });
  });

  it('matches PROTOCOL[https] only when a trusted proxy says so', async () => {
    const trusted = { ...config, trustedProxies: ['127.0.0.1', '::1'] };
    const { server, plans } = app({ config: trusted }, () => {});
    await request(server).get('/x').set('Host', 'a.test').set('X-Forwarded-For', '203.0.113.1').set('X-Forwarded-Proto', 'https').expect(200);
    const direct = app({ config }, () => {});
    await request(direct.server).get('/x').set('Host', 'a.test').set('X-Forwarded-Proto', 'https').expect(200);
    expect(plans[0]).toMatchObject({ rule: { line: 3 } });
    expect(direct.plans[0]).toMatchObject({ rule: null });
  });
});

describe('<SessionKey> kinds', () => {
  const keyed = (sessionKey: string) => ({ vhosts: [{ name: 'a.test', options: { sessionKey, trafficCap: 1000 } }], default: 'a.test' });
  it.each([
    ['header:X-User', { 'X-User': 'alice' }, /^header:x-user#[\w-]{16}$/],
    ['cookie:sid', { Cookie: 'a=1; sid=s3cr3t; b=2' }, /^cookie:sid#[\w-]{16}$/],
    ['cookie:sid', { Cookie: 'a=1' }, /^c\d+$/], // no cookie: the connection
    ['ip', {}, /^ip:(::ffff:)?127\.0\.0\.1$/],
  ])('%s with %j', async (key, headers, want) => {
    const { server, sessions } = app({ config: keyed(key) }, () => {});
    await request(server).get('/a').set('Host', 'a.test').set(headers).expect(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(sessions[0]).toMatch(want);
    expect(sessions[0]).not.toContain('s3cr3t');
  });

  it('viewer: every request of a viewer is one session, on any path', async () => {
    const config = { vhosts: [{ name: 'a.test', options: { sessionKey: 'viewer', viewer: { param: 'token' }, trafficCap: 1000 } }], default: 'a.test' };
    const { server, sessions } = app({ config }, () => {});
    await request(server).get('/a.bin?token=abc').set('Host', 'a.test').expect(200);
    await request(server).get('/b.bin?token=abc').set('Host', 'a.test').expect(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(sessions).toEqual(['v:abc', 'v:abc']);
  });
});
