import http from 'node:http';
import Koa from 'koa';
import { bandwidth, statsEndpoints, type ConfigInput } from '../../lib/index';
import { fetch, listen, series, seriesCount, until } from './http-client';

const vhosts = [
  // Metered: BT from the rule, and a TrafficCap.
  { name: 'a.test', options: { throttling: true, trafficCap: 100, boost: 0 }, rules: ['*, 80000'] },
  // Unmetered.
  { name: 'b.test', aliases: ['*.b.test'] },
];

function randomHost(i: number): string {
  const forms = [
    () => `h${i}-${Math.random().toString(36).slice(2)}.example`,
    () => `${Math.random().toString(36).slice(2)}.b.test`, // a pattern alias: counted under b.test
    () => `10.${i % 256}.${(i * 7) % 256}.1:${1000 + i}`,
    () => `[::${i.toString(16)}]`,
    () => `x${'y'.repeat(i % 300)}`,
  ];
  return forms[i % forms.length]!();
}

describe.each<[string, ConfigInput, string]>([
  ['with a <Default> vhost', { vhosts, default: 'a.test' }, 'a.test'],
  ['without a <Default> vhost', { vhosts }, '_unmatched'],
])('1,000 random Host headers %s', (_name, config, fallsTo) => {
  it(`counts them under ${fallsTo} and grows no series, vhost or session`, async () => {
    const bw = bandwidth({ config });
    const endpoints = statsEndpoints(bw);
    const app = new Koa();
    app.use(endpoints);
    app.use(bw);
    app.use((ctx) => {
      ctx.body = Buffer.alloc(1000, 1);
    });
    const { port, close } = await listen(app);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const metrics = async () => (await fetch(port, '/_bandwidth/metrics', 'a.test', { keep: true, agent })).body.toString();

    try {
      // Warm up: every configured vhost has served once, so its series exist.
      for (const host of ['a.test', 'b.test', 'nobody.invalid']) await fetch(port, '/', host, { agent });
      const text0 = await metrics();
      const before = { series: seriesCount(text0), vhosts: bw.stats().vhosts.length, meterVhosts: bw.runtime.engine.stats().vhosts.length, fell: series(text0, `koa_bandwidth_sent_bytes_total{vhost="${fallsTo}"}`)! };
      let bToB = 0;
      for (let i = 0; i < 1000; i += 20) {
        const batch = Array.from({ length: 20 }, (_, k) => randomHost(i + k));
        bToB += batch.filter((h) => h.endsWith('.b.test')).length;
        const got = await Promise.all(batch.map((h) => fetch(port, '/', h, { agent })));
        for (const g of got) expect(g.bytes).toBe(1000);
      }
      await until(() => bw.runtime.engine.activeSessions === 0 && bw.runtime.unmetered.activeSessions === 0, 10_000);
      const text = await metrics();
      expect(seriesCount(text)).toBe(before.series);
      expect(text).not.toMatch(/example"|::|yyy|10\.\d/);
      expect(bw.stats().vhosts).toHaveLength(before.vhosts);
      expect(bw.runtime.engine.stats().vhosts.length).toBe(before.meterVhosts);
      expect(bw.runtime.engine.stats().sessions).toHaveLength(0);
      expect(bw.runtime.engine.activeSessions).toBe(0);
      expect(bw.runtime.unmetered.activeSessions).toBe(0);
      expect(bw.stats().sessions).toHaveLength(0);
      // Every request that is not a b.test alias fell to the same name.
      expect(series(text, `koa_bandwidth_sent_bytes_total{vhost="${fallsTo}"}`)! - before.fell).toBe((1000 - bToB) * 1000);
    } finally {
      agent.destroy();
      endpoints.close();
      await close();
      await bw.close();
    }
  });
});
