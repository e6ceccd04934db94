'use strict';
// `/_bandwidth/events` at scale: a server whose stats() holds 1,000 sessions (a snapshot of
// about 330 KB, like a busy media server's), read by 100 SSE clients, then 200 clients that
// never read. Reports the server's CPU (its own process.cpuUsage, clients excluded) and how
// its heap and RSS grow. Run after `npm run build`: `node bench/observe/events.js`.
//   READERS=100 SESSIONS=1000 SECONDS=10 STALLED=200
const http = require('node:http');
const { fork } = require('node:child_process');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const READERS = Number(process.env.READERS ?? 100);
const SESSIONS = Number(process.env.SESSIONS ?? 1000);
const SECONDS = Number(process.env.SECONDS ?? 10);
const STALLED = Number(process.env.STALLED ?? 200);

if (process.argv[2] === '--server') server();
else main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/** A stats source like bandwidth()'s: SESSIONS sessions, each with its plan. */
function fakeSource() {
  const { EventEmitter } = require('node:events');
  const plan = { vhost: 'www.example.com', throttle: true, rule: { line: 12, text: '$URL[/vod/*.mp4], 1000x, 120, 5' }, bandwidth: 125000, ratio: 120, boostSeconds: 5, boostBytes: 750000, rate: 150000, dynamic: true, sessionCap: 250000, trafficCap: 6250000 };
  let calls = 0;
  return {
    events: new EventEmitter(),
    get calls() {
      return calls;
    },
    stats() {
      calls++;
      const sessions = [];
      for (let i = 0; i < SESSIONS; i++) sessions.push({ id: `c${i + 1}`, vhost: 'www.example.com', ip: `10.0.${i >> 8}.${i & 255}`, rate: 150000 + i, bytesSent: 1e6 * i, responses: 1, throttled: true, plan });
      return { time: Date.now(), vhosts: [{ name: 'www.example.com', cap: 6250000, rate: 5.9e6, bytesSent: 1e12, activeSessions: SESSIONS, throttledSessions: SESSIONS }], sessions };
    },
  };
}

function server() {
  const Koa = require('koa');
  const { statsEndpoints } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
  const source = fakeSource();
  const ep = statsEndpoints(source, { intervalMs: 500 });
  const app = new Koa();
  app.silent = true; // clients that go away are normal here
  app.use(ep);
  const srv = http.createServer(app.callback());
  srv.listen(0, '127.0.0.1', () => process.send({ port: srv.address().port }));
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', (m) => {
    if (m === 'mark') {
      global.gc?.();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      process.send({ marked: true, heap: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss });
    } else if (m === 'read') {
      const c = process.cpuUsage(cpu0);
      const ms = performance.now() - t0;
      const mem = process.memoryUsage();
      process.send({ cpu: (c.user + c.system) / 1000 / ms, heap: mem.heapUsed, rss: mem.rss, clients: ep.clients, dropped: ep.dropped, statsCalls: source.calls });
    } else if (m === 'exit') process.exit(0);
  });
}

function ask(child, msg) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(msg);
  });
}

/** An SSE client; `read: false` opens the stream and then never reads it. */
function client(port, read) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/_bandwidth/events', agent: false }, (res) => {
      if (read) res.resume();
      else res.pause();
      resolve({ close: () => req.destroy() });
    });
    req.on('error', () => {});
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;

async function main() {
  const child = fork(path.join(__dirname, 'events.js'), ['--server'], { execArgv: ['--expose-gc'] });
  const { port } = await new Promise((r) => child.once('message', r));
  const readers = await Promise.all(Array.from({ length: READERS }, () => client(port, true)));
  await sleep(2000);
  await ask(child, 'mark');
  await sleep(SECONDS * 1000);
  const r = await ask(child, 'read');
  console.log(`${READERS} readers, ${SESSIONS} sessions: server CPU ${(r.cpu * 100).toFixed(1)} % of a core over ${SECONDS} s; stats() calls ${r.statsCalls}; readers dropped ${r.dropped ?? 'n/a'}`);
  for (const c of readers) c.close();
  await sleep(1000);
  const base = await ask(child, 'mark');
  const stalled = await Promise.all(Array.from({ length: STALLED }, () => client(port, false)));
  await sleep(SECONDS * 1000);
  const s = await ask(child, 'read');
  console.log(`${STALLED} clients that never read, ${SECONDS} s: heap +${mb(s.heap - base.heap)}, RSS +${mb(s.rss - base.rss)}, still connected ${s.clients}`);
  for (const c of stalled) c.close();
  await ask(child, 'exit').catch(() => {});
  child.kill();
}
