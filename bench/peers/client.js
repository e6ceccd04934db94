'use strict';
// A load-generating worker, run as a child process (clients in separate processes, docs/benchmarks.md).
// The parent sends one job over IPC; the worker answers with {ready} and later {result}.
//
//   stream: hold `count` downloads open; on {start}, measure between windowStart and
//           windowEnd (epoch ms): bytes per session, a time series, and for a single
//           session the slope of cumulative bytes over time.
//   rps:    `concurrency` keep-alive request loops for `durationMs`; count responses.
const http = require('node:http');
const { setTimeout: delay } = require('node:timers/promises');

const { performance } = require('node:perf_hooks');

function epochNow() {
  return performance.timeOrigin + performance.now();
}

function streamJob(job) {
  const sessions = [];
  let settled = 0;
  let errors = 0;
  let window = null; // {start, end, bucketMs, buckets}
  const samples = job.count === 1 ? [] : null;
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

  // A session counts from its TCP connect, not from its first byte: a system that starves
  // a session for the whole window must show it (0 bytes) in the fairness figures.
  // A session's target: the job's url from its start, or its own {url, start} (a Range request).
  function open(i) {
    const t = job.targets ? job.targets[i % job.targets.length] : { url: job.url, start: 0 };
    const headers = t.start > 0 ? { range: `bytes=${t.start}-` } : {};
    const ok = t.start > 0 ? 206 : 200;
    const s = { bytes: 0, atStart: 0, atEnd: 0, state: 'pending', status: 0, req: null };
    sessions.push(s);
    const settle = (state) => {
      if (s.state === 'pending') settled++;
      if (s.state !== 'error') s.state = state;
    };
    s.req = http.get(t.url, { agent, headers }, (res) => {
      s.status = res.statusCode;
      if (res.statusCode !== ok) {
        errors++;
        settle('error');
      } else settle('connected');
      res.on('data', (chunk) => {
        s.bytes += chunk.length;
        if (window && window.buckets) {
          const t = epochNow();
          if (t >= window.start && t < window.end) {
            window.buckets[Math.floor((t - window.start) / window.bucketMs)] += chunk.length;
            if (samples) samples.push(t - window.start, s.bytes);
          }
        }
      });
      res.on('error', () => {});
    });
    s.req.on('socket', (sock) => {
      if (sock.connecting) sock.once('connect', () => settle('connected'));
      else settle('connected');
    });
    s.req.on('error', () => {
      if (s.state !== 'error' && !s.status) {
        errors++;
        settle('error');
      }
    });
  }

  (async () => {
    const perTick = Math.max(1, Math.round(job.rampPerSec / 100));
    for (let i = 0; i < job.count; i += perTick) {
      for (let j = i; j < Math.min(job.count, i + perTick); j++) open(j);
      await delay(10);
    }
    const giveUp = Date.now() + job.readyTimeoutMs;
    while (settled < job.count && Date.now() < giveUp) await delay(20);
    const live = sessions.filter((s) => s.state === 'connected');
    process.send({ ready: { connected: live.length, responded: live.filter((s) => s.status === 200 || s.status === 206).length, errors } });
  })();

  process.on('message', (msg) => {
    if (!msg.start) return;
    const { windowStart, windowEnd, bucketMs } = msg.start;
    const n = Math.ceil((windowEnd - windowStart) / bucketMs);
    window = { start: windowStart, end: windowEnd, bucketMs, buckets: new Array(n).fill(0) };
    let t0 = 0;
    setTimeout(() => {
      t0 = epochNow();
      for (const s of sessions) s.atStart = s.bytes;
    }, Math.max(0, windowStart - epochNow()));
    setTimeout(() => {
      const t1 = epochNow();
      for (const s of sessions) s.atEnd = s.bytes;
      for (const s of sessions) s.req.destroy();
      process.send({
        result: {
          seconds: (t1 - t0) / 1000,
          perSession: sessions.filter((s) => s.state === 'connected').map((s) => s.atEnd - s.atStart),
          responded: sessions.filter((s) => s.status === 200 || s.status === 206).length,
          buckets: window.buckets,
          slopeBps: samples ? slope(samples) : null,
          errors,
        },
      });
    }, Math.max(0, windowEnd - epochNow()));
  });
}

/** Least-squares slope of cumulative bytes over time, in bytes/s: robust to bursty sends. */
function slope(flat) {
  const n = flat.length / 2;
  if (n < 2) return null;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < flat.length; i += 2) {
    const x = flat[i] / 1000, y = flat[i + 1];
    sx += x; sy += y; sxx += x * x; sxy += x * y;
  }
  const d = n * sxx - sx * sx;
  return d > 0 ? (n * sxy - sx * sy) / d : null;
}

async function rpsJob(job) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  let done = 0;
  let errors = 0;
  let stop = false;
  const once = () =>
    new Promise((resolve) => {
      const req = http.get(job.url, { agent }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode === 200) done++;
          else errors++;
          resolve();
        });
        res.on('error', () => { errors++; resolve(); });
      });
      req.on('error', () => { errors++; resolve(); });
    });
  const loop = async () => {
    while (!stop) await once();
  };
  process.send({ ready: { connected: job.concurrency, errors: 0 } });
  await new Promise((resolve) => process.once('message', resolve));
  const t0 = epochNow();
  const loops = Array.from({ length: job.concurrency }, loop);
  await delay(job.durationMs);
  stop = true;
  const seconds = (epochNow() - t0) / 1000;
  const counted = done;
  await Promise.race([Promise.all(loops), delay(2000)]);
  agent.destroy();
  process.send({ result: { requests: counted, seconds, errors } });
}

process.once('message', (job) => {
  if (job.mode === 'stream') streamJob(job);
  else rpsJob(job).catch((err) => process.send({ result: { error: String(err) } }));
});
