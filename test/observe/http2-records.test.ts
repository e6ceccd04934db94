import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { bandwidth, statsEndpoints, type ResponseRecord } from '../../lib/index';
import { series, until } from './http-client';

const config = {
  defaults: { boost: 0 },
  vhosts: [{ name: 'a.test', options: { throttling: true, bandwidth: 8000 }, rules: ['$URL[/free/*], no', '*'] }],
};

function get(client: http2.ClientHttp2Session, path: string): Promise<{ bytes: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = client.request({ ':path': path, ':authority': 'a.test' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ bytes: Buffer.concat(chunks).length, body: Buffer.concat(chunks).toString() }));
    req.on('error', reject);
    req.end();
  });
}

describe('records and metrics over HTTP/2', () => {
  it('count each stream, metered or not, under one session per connection', async () => {
    const bw = bandwidth({ config });
    const ep = statsEndpoints(bw);
    const records: ResponseRecord[] = [];
    bw.events.on('response', (r: ResponseRecord) => records.push(r));
    const app = new Koa();
    app.use(ep);
    app.use(bw);
    app.use((ctx) => (ctx.body = Buffer.alloc(300_000, 5)));
    const server = http2.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const got = await Promise.all([get(client, '/free/a'), get(client, '/bt/b'), get(client, '/free/c')]);
      expect(got.map((g) => g.bytes)).toEqual([300_000, 300_000, 300_000]);
      expect(await until(() => records.length === 3, 10_000)).toBe(true);
      expect(records.map((r) => r.bytes)).toEqual([300_000, 300_000, 300_000]);
      expect(records.every((r) => !r.aborted && r.status === 200)).toBe(true);
      expect(new Set(records.map((r) => r.session)).size).toBe(1);
      expect(records.filter((r) => r.plan.throttle)).toHaveLength(1);
      const text = (await get(client, '/_bandwidth/metrics')).body;
      expect(series(text, 'koa_bandwidth_sent_bytes_total{vhost="a.test"}')).toBe(900_000);
      expect(bw.stats().sessions).toHaveLength(0);
    } finally {
      client.close();
      ep.close();
      await new Promise((r) => server.close(r));
      await bw.close();
    }
  });
});
