'use strict';
// In-process check of what bandwidth() adds to one request that no BT applies to, free of the
// machine's noise that the req/s figure carries: the same Koa context path with a trivial
// async middleware and with bandwidth(), on mock requests (no socket, no file), counted by
// process.cpuUsage over 50,000 requests, five times each, interleaved. GC is included.
// Prints {trivialNs, bandwidthNs, addedUs} (medians) as JSON.
const http = require('node:http');
const net = require('node:net');
const Koa = require('koa');
const { bandwidth } = require('../../dist/lib/index.js');
const { CONFIG } = require('./app');

const app = new Koa();
const bw = bandwidth({ config: CONFIG });
const body = Buffer.alloc(4096, 1);
const socket = new net.Socket();
async function trivial(ctx, next) {
  await next();
}

async function run(mw, n) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const req = new http.IncomingMessage(socket);
    req.url = '/small.bin';
    req.method = 'GET';
    req.headers = { host: 'bench' };
    const res = new http.ServerResponse(req);
    const ctx = app.createContext(req, res);
    await mw(ctx, async () => {
      ctx.body = body;
    });
    res.end(ctx.body);
    res.emit('finish');
    res.emit('close');
  }
  const c = process.cpuUsage(t0);
  return ((c.user + c.system) * 1000) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  const t = [];
  const b = [];
  await run(trivial, 20_000); // warm up both paths
  await run(bw, 20_000);
  for (let r = 0; r < 5; r++) {
    t.push(await run(trivial, 50_000));
    b.push(await run(bw, 50_000));
  }
  await bw.close();
  const trivialNs = Math.round(median(t));
  const bandwidthNs = Math.round(median(b));
  process.stdout.write(JSON.stringify({ trivialNs, bandwidthNs, addedUs: Math.round(bandwidthNs - trivialNs) / 1000 }) + '\n');
})();
