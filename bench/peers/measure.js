'use strict';
// Runs one case against one started server: forks client workers, aligns a measurement
// window, samples the server's CPU and RSS from /proc at the window edges.
const path = require('node:path');
const { fork } = require('node:child_process');
const { setTimeout: delay } = require('node:timers/promises');
const { performance } = require('node:perf_hooks');
const { cpuSeconds, rssKiB } = require('./proc-stats');

const CLIENT = path.join(__dirname, 'client.js');
const PER_WORKER = 2500;
const live = new Set(); // workers we started, for cleanup by pid

function epochNow() {
  return performance.timeOrigin + performance.now();
}

function startWorker(job) {
  const child = fork(CLIENT, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const messages = [];
  const waiters = [];
  child.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const next = (timeoutMs) =>
    new Promise((resolve, reject) => {
      if (messages.length) return resolve(messages.shift());
      const t = setTimeout(() => reject(new Error(`client worker timed out after ${timeoutMs} ms`)), timeoutMs);
      waiters.push((m) => { clearTimeout(t); resolve(m); });
      child.once('exit', (code) => { clearTimeout(t); reject(new Error(`client worker exited (${code})`)); });
    });
  child.send(job);
  return { child, next };
}

function stopWorkers(workers) {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
}

function killAllWorkers() {
  for (const child of live) if (child.exitCode === null) child.kill('SIGKILL');
}

async function at(epochMs) {
  await delay(Math.max(0, epochMs - epochNow()));
}

/**
 * Long downloads: `count` sessions, then a window of `windowMs` starting `settleMs` after all
 * are connected. Returns per-session bytes in the window, a bucketed series, CPU and RSS.
 */
async function streamCase(server, url, { count, windowMs, settleMs, bucketMs = 250, rampPerSec = 4000, targets = null, probe = null }) {
  const rssBaseKiB = rssKiB(server.pid);
  const nWorkers = Math.max(1, Math.ceil(count / PER_WORKER));
  const workers = [];
  try {
    for (let i = 0; i < nWorkers; i++) {
      const share = Math.floor(count / nWorkers) + (i < count % nWorkers ? 1 : 0);
      const first = i * Math.floor(count / nWorkers) + Math.min(i, count % nWorkers);
      workers.push(startWorker({
        mode: 'stream', url, count: share, rampPerSec: rampPerSec / nWorkers,
        targets: targets ? targets.slice(first, first + share) : null,
        readyTimeoutMs: 30_000,
      }));
    }
    const ready = await Promise.all(workers.map((w) => w.next(60_000)));
    const connected = ready.reduce((a, m) => a + m.ready.connected, 0);
    const windowStart = epochNow() + settleMs;
    const windowEnd = windowStart + windowMs;
    for (const w of workers) w.child.send({ start: { windowStart, windowEnd, bucketMs } });
    const results = Promise.all(workers.map((w) => w.next(windowMs + settleMs + 30_000)));
    // The probe (the cache's counters) is read outside the CPU window: it costs the server.
    await at(windowStart - 300);
    const probe0 = probe ? await probe().catch(() => null) : null;
    await at(windowStart);
    const cpu0 = cpuSeconds(server.pid);
    await at(windowStart + windowMs / 2);
    const rssMid = rssKiB(server.pid);
    await at(windowEnd - 50);
    const rssEnd = rssKiB(server.pid);
    await at(windowEnd);
    const cpu1 = cpuSeconds(server.pid);
    const probe1 = probe ? await probe().catch(() => null) : null;
    const res = (await results).map((m) => m.result);
    const buckets = new Array(Math.ceil(windowMs / bucketMs)).fill(0);
    for (const r of res) r.buckets.forEach((b, i) => { buckets[i] += b; });
    return {
      requested: count,
      connected,
      responded: res.reduce((a, r) => a + r.responded, 0),
      errors: res.reduce((a, r) => a + r.errors, 0) + ready.reduce((a, m) => a + m.ready.errors, 0),
      seconds: res[0].seconds,
      perSession: res.flatMap((r) => r.perSession),
      slopeBps: res[0].slopeBps,
      buckets,
      bucketMs,
      windowStart,
      windowEnd,
      cpuSeconds: cpu1 - cpu0,
      rssBaseKiB,
      rssLoadKiB: Math.max(rssMid, rssEnd),
      probe: probe0 && probe1 ? { start: probe0, end: probe1 } : null,
    };
  } finally {
    stopWorkers(workers);
  }
}

/** Small unthrottled requests over keep-alive: requests per second and CPU. */
async function rpsCase(server, url, { workers: nWorkers, concurrency, durationMs }) {
  const workers = [];
  try {
    for (let i = 0; i < nWorkers; i++) workers.push(startWorker({ mode: 'rps', url, concurrency, durationMs }));
    await Promise.all(workers.map((w) => w.next(30_000)));
    const cpu0 = cpuSeconds(server.pid);
    for (const w of workers) w.child.send({ go: true });
    const results = Promise.all(workers.map((w) => w.next(durationMs + 30_000)));
    await delay(durationMs);
    const cpu1 = cpuSeconds(server.pid);
    const res = (await results).map((m) => m.result);
    const requests = res.reduce((a, r) => a + r.requests, 0);
    const seconds = Math.max(...res.map((r) => r.seconds));
    return {
      requests,
      seconds,
      requestsPerSecond: requests / seconds,
      errors: res.reduce((a, r) => a + r.errors, 0),
      cpuSeconds: cpu1 - cpu0,
      cpuMicrosPerRequest: requests ? ((cpu1 - cpu0) * 1e6) / requests : null,
    };
  } finally {
    stopWorkers(workers);
  }
}

module.exports = { streamCase, rpsCase, killAllWorkers };
