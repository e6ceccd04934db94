'use strict';
// The overhead bench's precise server: `node overhead-alternate.js <mediaDir>`. One process,
// one app; every request draws its mode at random (a seeded generator):
//   plain    — koa-send alone (the bandwidth middleware is skipped);
//   engine   — bandwidth() installed, no BT applying;
//   observed — another bandwidth() instance with a 'response' listener and prometheusMetrics
//              registered and scraped every second (the diagnostics channel is process-wide,
//              so it is left to the segment method of overhead-server.js).
// The client keeps one request in flight, so the process's CPU time from one request's
// arrival to the next one's is that request's whole cost: its middleware, its file, its
// response, its 'close' handlers, and the garbage collections it triggers (a collection
// starts in whichever request fills the young generation, so each mode is charged in
// proportion to what it allocates). The machine's load moves a small file's CPU time by ±20 %
// within a second (bench/results/engine.json, overhead.saturated); here the modes alternate
// every request, so every mode sees the same machine, and the means over tens of thousands of
// requests give the ratio to within a percent. The run sends 'start' and 'stop' over IPC and
// gets back every request's CPU µs, by mode.
const http = require('node:http');
const Koa = require('koa');
const send = require('koa-send');
const { bandwidth } = require('../../dist/lib/index.js');
const { CONFIG, observe } = require('./app');

const [mediaDir] = process.argv.slice(2);
const MODES = ['plain', 'engine', 'observed'];

const bw = bandwidth({ config: CONFIG });
const bwObserved = bandwidth({ config: CONFIG });
const observers = { records: 0, channel: 0, scrapes: 0 };
observe(bwObserved, observers, { channel: false });

const app = new Koa();
app.silent = true;
let mode = 'plain';
// The same one function call in every mode: only what it calls differs. BENCH_OVERHEAD_AA=1
// runs plain's path in the engine mode too: an A/A check, whose ratio should come out at 1.
const AA = process.env.BENCH_OVERHEAD_AA === '1';
app.use(function maybeBandwidth(ctx, next) {
  return mode === 'plain' || (AA && mode === 'engine') ? next() : mode === 'engine' ? bw(ctx, next) : bwObserved(ctx, next);
});
app.use(async function files(ctx) {
  await send(ctx, ctx.path, { root: mediaDir });
});

const samples = Object.fromEntries(MODES.map((m) => [m, []]));
let measuring = false;
let seed = 20261123;
const draw = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return MODES[Math.floor((seed / 2147483648) * MODES.length)];
};

const handle = app.callback();
let last = null;
let lastMode = 'plain';
const server = http.createServer((req, res) => {
  // Read before Koa runs anything of this request: what came since the last arrival was the
  // last request's, to its last 'close' handler.
  const c = process.cpuUsage();
  if (measuring && last !== null) {
    samples[lastMode].push(c.user - last.user + (c.system - last.system));
  }
  last = c;
  lastMode = mode = draw();
  handle(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen({ port: 0, host: '127.0.0.1' }, () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'start') {
    measuring = true;
    last = null;
  } else if (m === 'stop') {
    measuring = false;
    process.send({ samples, observers }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
