import Koa from 'koa';
import { Registry } from 'prom-client';
import request from 'supertest';
import { bandwidth, OptionError, statsEndpoints } from '../../lib/index';
import type * as StatsEndpointsModule from '../../lib/observe/stats-endpoints';

const config = { vhosts: [{ name: 'a.test' }] };

describe('statsEndpoints()', () => {
  it.each<[string, object, RegExp]>([
    ['an unknown key', { interval: 5 }, /option `interval`/],
    ['a path without a leading slash', { path: '_bw' }, /option `path`/],
    ['a path with a trailing slash', { path: '/_bw/' }, /option `path`/],
    ['a tiny interval', { intervalMs: 1 }, /option `intervalMs` must be a number of milliseconds in \[10, 3600000\]/],
    ['a bad prefix', { prefix: 'a-b' }, /option `prefix`/],
    ['a tiny maxQueuedBytes', { maxQueuedBytes: 10 }, /option `maxQueuedBytes` must be a number of bytes in \[1024, 1073741824\]/],
  ])('rejects %s', (_name, opts, message) => {
    const bw = bandwidth({ config });
    expect(() => statsEndpoints(bw, opts)).toThrow(OptionError);
    expect(() => statsEndpoints(bw, opts)).toThrow(message);
  });

  it('mounts at a path of choice, in the registry given, with a prefix, GET and HEAD only', async () => {
    const bw = bandwidth({ config });
    const registry = new Registry();
    const ep = statsEndpoints(bw, { registry, prefix: 'edge_', path: '/ops/bw' });
    expect(ep.registry).toBe(registry);
    const app = new Koa();
    app.use(ep);
    app.use(bw);
    app.use((ctx) => (ctx.body = 'downstream'));
    const server = app.callback();
    const m = await request(server).get('/ops/bw/metrics').expect(200);
    expect(m.headers['content-type']).toBe(registry.contentType);
    expect(m.text).toContain('edge_sent_bytes_total{vhost="a.test"} 0');
    await request(server).get('/ops/bw/stats').expect(200).expect('Content-Type', /json/);
    await request(server).head('/ops/bw/stats').expect(200);
    await request(server).post('/ops/bw/stats').expect(405).expect('Allow', 'GET, HEAD');
    await request(server).get('/_bandwidth/stats').expect(200, 'downstream');
    ep.close();
    expect(await registry.metrics()).toBe('\n');
    await bw.close();
  });

  it('keeps a registry of its own by default, so two apps do not clash', () => {
    const bw = bandwidth({ config });
    const a = statsEndpoints(bw);
    const b = statsEndpoints(bw);
    expect(a.registry).not.toBe(b.registry);
    a.close();
    b.close();
  });

  it('answers 501 with a clear message on /metrics when prom-client is not installed', async () => {
    let se: typeof StatsEndpointsModule | undefined;
    jest.isolateModules(() => {
      jest.doMock('prom-client', () => {
        throw new Error("Cannot find module 'prom-client'");
      });
      // jest.isolateModules needs a synchronous require to see the mock.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      se = require('../../lib/observe/stats-endpoints') as typeof StatsEndpointsModule;
    });
    const bw = bandwidth({ config });
    const ep = se!.statsEndpoints(bw);
    jest.dontMock('prom-client');
    expect(ep.registry).toBeNull();
    const app = new Koa();
    app.use(ep);
    const res = await request(app.callback()).get('/_bandwidth/metrics').expect(501);
    expect(res.text).toMatch(/prom-client is not installed: run `npm install prom-client`/);
    // The rest still works.
    const stats = await request(app.callback()).get('/_bandwidth/stats').expect(200);
    expect(stats.body.vhosts.map((v: { name: string }) => v.name)).toEqual(['a.test', '_unmatched']);
    ep.close();
    await bw.close();
  });
});
