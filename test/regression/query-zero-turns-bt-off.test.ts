import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { bandwidth } from '../../lib/index';

// Report: "A client can switch BT off". With QueryString="ON", `?mybandwidth=0` gave rate 0,
// which the meter reads as "no BT": 20 MB went out in 59 ms past a 2,000 kbps rule.
// A value <= 0 is now ignored, and the rule's rate holds (docs/config.md).

const BODY = 250_000; // 1 s at the rule's 2,000 kbps (250 kB/s), no boost
const config = {
  defaults: {
    throttling: true,
    queryString: true,
    boost: 0,
    params: { bandwidth: 'mybandwidth', ratio: 'myratio', boost: 'myboost' },
  },
  vhosts: [{ name: 'media.test', rules: ['$URL[*.mp4], 2000'] }],
};

function timedGet(port: number, path: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ port, host: '127.0.0.1', path, headers: { host: 'media.test' } }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe.each([
  ['with limits { bandwidth: 12500 }', { bandwidth: 12_500 }],
  ['without limits', undefined],
])('a query value of 0, %s', (_name, limits) => {
  const app = new Koa();
  const bw = bandwidth({ config, ...(limits && { limits }) });
  app.use(bw);
  app.use((ctx) => {
    ctx.body = Buffer.alloc(BODY, 1);
  });
  const server = http.createServer(app.callback());
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await bw.close();
    await new Promise((r) => server.close(r));
  });

  it.each(['mybandwidth=0', 'myratio=0', 'mybandwidth=0x10&myratio=1e2'])('?%s does not download at full speed: the rule holds', async (q) => {
    const r = await timedGet(port, `/movie.mp4?${q}`);
    expect(r.bytes).toBe(BODY);
    // 1 s at 250 kB/s; main sent it in a few ms. Wide on both sides for a busy machine.
    expect(r.ms).toBeGreaterThan(700);
    expect(r.ms).toBeLessThan(3000);
  });
});

describe('an ignored query value (the real package, after npm run build)', () => {
  it('is logged with its reason under NODE_DEBUG=koa-bandwidth', () => {
    const script = `
      const http = require('node:http');
      const Koa = require('koa');
      const { bandwidth } = require('./dist/lib/index.js');
      const app = new Koa();
      const bw = bandwidth({ config: ${JSON.stringify(config)} });
      app.use(bw);
      app.use((ctx) => { ctx.body = 'ok'; });
      const server = app.listen(0, '127.0.0.1', () => {
        http.get({ port: server.address().port, host: '127.0.0.1', path: '/a.mp4?mybandwidth=0&myratio=1e2&myboost=5&myboost=6', headers: { host: 'media.test' } }, (res) => {
          res.resume();
          res.on('end', () => { server.close(); bw.close(); });
        });
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: `${__dirname}/../..`, env: { ...process.env, NODE_DEBUG: 'koa-bandwidth' }, encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/query mybandwidth="0" \(bandwidth\) ignored: not above 0/);
    expect(r.stderr).toMatch(/query myratio="1e2" \(ratio\) ignored: not a plain decimal number/);
    expect(r.stderr).toMatch(/query myboost=\["5","6"\] \(boost\) ignored: repeated/);
  });
});
