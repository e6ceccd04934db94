/**
 * Reported: with Koa's `app.proxy` on, the client IP was the leftmost `X-Forwarded-For`
 * entry, so any client could send `X-Forwarded-For: 192.168.1.1` and match
 * `$IP[192.168.1.1]`; with it off, every client behind a proxy was the proxy. Now the package
 * believes forwarding headers only from `<TrustedProxies>`, whatever `app.proxy` says.
 */
import Koa from 'koa';
import request from 'supertest';
import { bandwidth } from '../../lib/index';

const rules = ['$IP[192.168.1.1], 100'];

function app(trustedProxies?: string[]): Koa {
  const a = new Koa();
  a.proxy = true;
  a.use(bandwidth({ config: { defaults: { throttling: true }, vhosts: [{ name: 'a.test', rules }], default: 'a.test', ...(trustedProxies ? { trustedProxies } : {}) } }));
  a.use((ctx) => {
    ctx.body = { rule: ctx.bandwidth?.plan.rule?.line ?? null, koaIp: ctx.ip, ip: ctx.bandwidth?.clientIp };
  });
  return a;
}

describe('a client that writes X-Forwarded-For itself', () => {
  it('does not match $IP by it without trusted proxies, even with app.proxy on', async () => {
    const r = await request(app().callback()).get('/').set('X-Forwarded-For', '192.168.1.1').expect(200);
    expect(r.body.koaIp).toBe('192.168.1.1'); // what Koa believes; the rules do not
    expect(r.body.rule).toBeNull();
    expect(r.body.ip).toMatch(/127\.0\.0\.1$/);
  });

  it('does not match $IP when its entry is left of what a trusted proxy appended', async () => {
    const r = await request(app(['127.0.0.1', '::1']).callback()).get('/').set('X-Forwarded-For', '192.168.1.1, 198.51.100.4').expect(200);
    expect(r.body).toMatchObject({ rule: null, ip: '198.51.100.4' });
  });

  it('matches when a trusted proxy reports that address', async () => {
    const r = await request(app(['127.0.0.1', '::1']).callback()).get('/').set('X-Forwarded-For', '192.168.1.1').expect(200);
    expect(r.body).toMatchObject({ rule: 1, ip: '192.168.1.1' });
  });
});
