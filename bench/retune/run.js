'use strict';
// Live retuning and per-client sessions, against their ±3 % targets (docs/metering.md#live-retuning).
// Runs from dist/: `npm run build` first. Server and clients share this process, on loopback.
//   node bench/retune/run.js [--json]     (writes bench/results/retune.json with --json)
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const Koa = require('koa');
const { bandwidth } = require('../../dist/lib/index.js');

const BODY = Buffer.alloc(16 * 1024 * 1024, 7);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mbps = (n) => (n * 1_000_000) / 8;

function listen(bw, handler) {
  const app = new Koa();
  app.silent = true;
  app.use(bw);
  app.use(handler ?? ((ctx) => void (ctx.body = BODY)));
  const server = http.createServer(app.callback());
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ port: server.address().port, close: () => { server.closeAllConnections(); server.close(); } })));
}

function download(port, p, host, headers = {}, localAddress) {
  const d = { bytes: 0, firstAt: NaN, firstBytes: 0, endAt: NaN, req: null };
  d.done = new Promise((resolve) => {
    d.req = http.get({ host: '127.0.0.1', port, path: p, agent: false, headers: { host, ...headers }, ...(localAddress ? { localAddress } : {}) }, (res) => {
      res.on('data', (c) => {
        if (d.bytes === 0) [d.firstAt, d.firstBytes] = [performance.now(), c.length];
        d.bytes += c.length;
      });
      res.on('close', () => resolve((d.endAt = performance.now())));
      res.on('error', () => {});
    });
    d.req.on('error', () => resolve());
  });
  return d;
}

async function rateOver(ds, ms) {
  const sum = () => ds.reduce((n, d) => n + d.bytes, 0);
  const a = sum();
  const t = performance.now();
  await sleep(ms);
  return ((sum() - a) * 1000) / (performance.now() - t);
}

async function reloadCap() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-retune-'));
  const xml = (cap) => `<Vhosts><Vhost Name="live.test"><Options><TrafficCap>${cap}</TrafficCap></Options></Vhost><Default>live.test</Default></Vhosts>`;
  fs.writeFileSync(path.join(dir, 'server.xml'), '<Server/>');
  fs.writeFileSync(path.join(dir, 'vhosts.xml'), xml(48));
  const bw = bandwidth({ conf: dir, watch: { debounceMs: 20 } });
  const s = await listen(bw);
  const ds = Array.from({ length: 20 }, () => download(s.port, '/f', 'live.test'));
  await sleep(1500);
  const reloaded = new Promise((r) => bw.events.once('reload', r));
  fs.writeFileSync(path.join(dir, 'v.tmp'), xml(24));
  fs.renameSync(path.join(dir, 'v.tmp'), path.join(dir, 'vhosts.xml'));
  await reloaded;
  const first = await rateOver(ds, 1000);
  const after = await rateOver(ds, 4000);
  for (const d of ds) d.req.destroy();
  s.close();
  await bw.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return [
    { name: 'TrafficCap 48 → 24 Mbps by reload, 20 downloads: 0–1 s after', measured: first, target: mbps(24), informational: true },
    { name: 'TrafficCap 48 → 24 Mbps by reload, 20 downloads: 1–5 s after', measured: after, target: mbps(24) },
  ];
}

async function halveByApi() {
  const states = [];
  const bw = bandwidth({ config: { defaults: { boost: 0 }, vhosts: [{ name: 'live.test' }], default: 'live.test' } });
  const s = await listen(bw, (ctx) => {
    ctx.bandwidth.set({ rate: '1.6mbps' });
    states.push(ctx.bandwidth);
    ctx.body = BODY;
  });
  const d = download(s.port, '/a', 'live.test');
  await sleep(1500);
  states[0].ratio = 50;
  const first = await rateOver([d], 1000);
  const after = await rateOver([d], 5000);
  d.req.destroy();
  s.close();
  await bw.close();
  return [
    { name: 'ctx.bandwidth.ratio = 50 on 200,000 B/s: 0–1 s after', measured: first, target: 100_000, informational: true },
    { name: 'ctx.bandwidth.ratio = 50 on 200,000 B/s: 1–6 s after', measured: after, target: 100_000 },
  ];
}

async function xAccel() {
  const origin = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Length': '500000', 'X-Accel-Limit-Rate': '50000' });
    res.end(Buffer.alloc(500_000, 1));
  });
  await new Promise((r) => origin.listen(0, '127.0.0.1', r));
  const bw = bandwidth({ config: { defaults: { boost: 0, xAccelLimitRate: true }, vhosts: [{ name: 'p.test' }], default: 'p.test' } });
  const s = await listen(bw, async (ctx) => {
    const up = await new Promise((resolve) => http.get({ host: '127.0.0.1', port: origin.address().port, path: '/', agent: false }, resolve));
    ctx.set('X-Accel-Limit-Rate', up.headers['x-accel-limit-rate']);
    ctx.body = up;
    ctx.length = 500_000;
  });
  const d = download(s.port, '/m', 'p.test');
  await d.done;
  s.close();
  origin.close();
  await bw.close();
  return [{ name: 'X-Accel-Limit-Rate: 50000, 500,000 bytes first to last byte', measured: ((d.bytes - d.firstBytes) * 1000) / (d.endAt - d.firstAt), target: 50_000 }];
}

async function ipSession() {
  const bw = bandwidth({ config: { trustedProxies: ['127.0.0.2'], defaults: { sessionKey: 'ip', sessionCap: 4000, boost: 0 }, vhosts: [{ name: 'e.test' }], default: 'e.test' } });
  const s = await listen(bw);
  const ds = Array.from({ length: 4 }, () => download(s.port, '/f', 'e.test', { 'X-Forwarded-For': '203.0.113.7' }, '127.0.0.2'));
  await sleep(1000);
  const r = await rateOver(ds, 6000);
  for (const d of ds) d.req.destroy();
  s.close();
  await bw.close();
  return [{ name: 'Session cap 4000 kbps, SessionKey ip, 4 connections behind a trusted proxy', measured: r, target: 500_000 }];
}

async function main() {
  const rows = [...(await reloadCap()), ...(await halveByApi()), ...(await xAccel()), ...(await ipSession())];
  for (const r of rows) {
    r.errorPercent = ((r.measured - r.target) / r.target) * 100;
    r.met = r.informational ? null : Math.abs(r.errorPercent) <= 3;
    console.log(`${r.name}: ${Math.round(r.measured)} B/s (${r.errorPercent >= 0 ? '+' : ''}${r.errorPercent.toFixed(2)} % of ${r.target})${r.met === null ? '' : r.met ? '  target ±3 %: met' : '  target ±3 %: MISSED'}`);
  }
  if (process.argv.includes('--json')) fs.writeFileSync(path.join(__dirname, '..', 'results', 'retune.json'), JSON.stringify({ time: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n');
  process.exitCode = rows.some((r) => r.met === false) ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
