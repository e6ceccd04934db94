'use strict';
// The overhead bench's server: `node overhead-server.js <mediaDir> <segment>`. One process,
// one app, three modes taken in turn every <segment> responses:
//   plain    — koa-send alone (the bandwidth middleware is skipped);
//   engine   — bandwidth() installed, no BT applying;
//   observed — the same, plus every stats collector of docs/observability.md (a 'response' listener, a
//              diagnostics_channel subscriber, prometheusMetrics registered and scraped every second).
// engine and observed are two bandwidth() instances, each set up once: the observed one has
// its listener and metrics for the whole run (registering them anew every segment cost the
// observed segments a few % in recompiled code, which a real server never pays). Only the
// diagnostics channel, which is process-wide, is subscribed while observed segments run.
// The modes interleave, so whatever else the machine does weighs on all three alike; each
// segment's CPU time (process.cpuUsage) and wall time are charged to its mode. The run sends
// 'start' and 'stop' over IPC, and gets back the totals per mode.
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const Koa = require('koa');
const send = require('koa-send');
const { bandwidth } = require('../../dist/lib/index.js');
const diagnosticsChannel = require('node:diagnostics_channel');
const { CONFIG, observe, channelCounter } = require('./app');

const [mediaDir, segmentArg] = process.argv.slice(2);
const SEGMENT = Number(segmentArg ?? 2000);
const MODES = ['plain', 'engine', 'observed'];

const bw = bandwidth({ config: CONFIG });
const bwObserved = bandwidth({ config: CONFIG });
const observers = { records: 0, channel: 0, scrapes: 0 };
let mode = 'plain';
observe(bwObserved, observers, { channel: false });
const onChannel = channelCounter(observers);

const app = new Koa();
app.silent = true;
// The same one function call in every mode: only what it calls differs.
// BENCH_OVERHEAD_AA=1 runs plain's path in the engine mode too: an A/A check of the method,
// whose ratio should come out at 1.
const AA = process.env.BENCH_OVERHEAD_AA === '1';
app.use(function maybeBandwidth(ctx, next) {
  return mode === 'plain' || (AA && mode === 'engine') ? next() : mode === 'engine' ? bw(ctx, next) : bwObserved(ctx, next);
});
app.use(async function files(ctx) {
  await send(ctx, ctx.path, { root: mediaDir });
});

const totals = Object.fromEntries(MODES.map((m) => [m, { requests: 0, cpuUs: 0, wallMs: 0, segments: [] }]));
let measuring = false;
let count = 0;
let cpu0 = process.cpuUsage();
let wall0 = performance.now();
// Each round takes the three modes in a fresh order (a seeded shuffle), so that no mode always
// follows another and inherits its garbage or its warm caches.
const order = [...MODES];
let step = 0;
let seed = 20261123;
function shuffle() {
  for (let i = order.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
}

function setMode(m) {
  // Subscribe on entering observed, unsubscribe on leaving it. (Subscribing again when observed
  // followed observed across rounds once stacked subscribers, which left one subscribed during
  // engine segments: engine then built records too.)
  if (m === 'observed' && mode !== 'observed') diagnosticsChannel.subscribe('koa-bandwidth:response', onChannel);
  if (mode === 'observed' && m !== 'observed') diagnosticsChannel.unsubscribe('koa-bandwidth:response', onChannel);
  mode = m;
}

function closeSegment() {
  const c = process.cpuUsage(cpu0);
  const now = performance.now();
  if (measuring) {
    const t = totals[mode];
    const cpuUs = c.user + c.system;
    t.requests += count;
    t.cpuUs += cpuUs;
    t.wallMs += now - wall0;
    t.segments.push(cpuUs / count);
  }
  count = 0;
  if (++step === order.length) {
    step = 0;
    shuffle();
  }
  setMode(order[step]);
  cpu0 = process.cpuUsage();
  wall0 = performance.now();
}

const server = http.createServer(app.callback());
server.keepAliveTimeout = 60_000;
server.on('request', (req, res) => {
  res.once('finish', () => {
    if (++count >= SEGMENT) closeSegment();
  });
});
server.listen({ port: 0, host: '127.0.0.1' }, () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'start') {
    // Start on a segment boundary, at the start of a round.
    step = order.length - 1;
    measuring = false;
    closeSegment();
    measuring = true;
  } else if (m === 'stop') {
    measuring = false;
    process.send({ totals, observers }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
