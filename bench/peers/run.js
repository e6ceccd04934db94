#!/usr/bin/env node
'use strict';
// npm run bench:peers [-- --quick] [--profile] [--docs] [--systems a,b] [--no-floor]
//                     [--workloads accuracy,shared,sessions,rps,viewers] [--sessions 1000,10000]
//
// The same workloads against koa-bandwidth (`serve`), nginx (limit_rate), Koa +
// stream-throttle and Koa + throttle, one system after another (docs/benchmarks.md). Writes
// bench/results/peers.json and bench/results/peers-shared-cap.svg, prints a table, and
// with a full run refreshes the results block in docs/benchmarks.md.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { SYSTEMS, FLOOR, ROOT, koaBandwidthAvailable, koaBandwidthMode, nginxVersion, tmpDir } = require('./systems');
const { streamCase, rpsCase, killAllWorkers } = require('./measure');
const { lineChart } = require('./chart');
const { summariseProfile } = require('./profile-summary');
const report = require('./report');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');

const P = quick
  ? {
      ratesKbps: [256, 2000, 20000, 100000], boostSeconds: 1, accuracyWindowMs: 3000,
      sharedSessions: 1000, sharedCapMbps: 50, sharedWindowMs: 4000,
      sessionCounts: [1000], sessionKbps: 64, sessionWindowMs: 4000,
      viewers: { count: 1000, windowMs: 4000, rounds: 1 },
      rps: { workers: 2, concurrency: 32, durationMs: 3000 },
      deadlineMs: 170_000,
    }
  : {
      ratesKbps: [256, 2000, 20000, 100000], boostSeconds: 2, accuracyWindowMs: 12_000,
      sharedSessions: 1000, sharedCapMbps: 50, sharedWindowMs: 12_000,
      sessionCounts: [1000, 10000], sessionKbps: 64, sessionWindowMs: 12_000,
      viewers: { count: 1000, windowMs: 12_000, rounds: 3 },
      rps: { workers: 2, concurrency: 32, durationMs: 8000 },
      deadlineMs: 25 * 60_000,
    };

if (option('sessions')) P.sessionCounts = option('sessions').split(',').map(Number);
if (option('rounds')) P.viewers.rounds = Math.max(1, Number(option('rounds')) || 1);
const onlySystems = option('systems')?.split(',');
const onlyWorkloads = option('workloads')?.split(',');
const wants = (w) => !onlyWorkloads || onlyWorkloads.includes(w);
const systems = SYSTEMS.filter((s) => !onlySystems || onlySystems.includes(s.name));
const running = new Set();

function log(...a) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${a.join(' ')}\n`);
}

async function cleanup() {
  killAllWorkers();
  await Promise.all([...running].map((s) => s.stop().catch(() => {})));
}

const watchdog = setTimeout(async () => {
  log(`deadline of ${P.deadlineMs / 1000} s reached: stopping`);
  await cleanup();
  process.exit(2);
}, P.deadlineMs);
watchdog.unref();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    await cleanup();
    process.exit(130);
  });
}

function makeMedia() {
  const dir = tmpDir('peers-media-');
  // Sparse: long downloads read zeros from the page cache, never from disk.
  const fd = fs.openSync(path.join(dir, 'big.bin'), 'w');
  fs.ftruncateSync(fd, 2 * 1024 ** 3);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'small.bin'), Buffer.alloc(4096, 'k'));
  // The viewers workloads' files hold real bytes (not holes), read from the page cache: one
  // hot file of 32 MiB (70 minutes of a 64 kbps programme) and 50 files of 8 MiB.
  const pattern = Buffer.alloc(1024 * 1024);
  let x = 0x9e3779b9;
  for (let i = 0; i < pattern.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    pattern[i] = x & 0xff;
  }
  const writeFile = (name, mib) => {
    const fd2 = fs.openSync(path.join(dir, name), 'w');
    for (let i = 0; i < mib; i++) fs.writeSync(fd2, pattern);
    fs.closeSync(fd2);
  };
  writeFile(HOT.name, HOT.mib);
  for (let k = 1; k <= ZIPF.files; k++) writeFile(zipfName(k), ZIPF.mib);
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
  return dir;
}

const HOT = { name: 'hot.bin', mib: 32 };
const ZIPF = { files: 50, mib: 8, s: 1 };
const zipfName = (k) => `z${String(k).padStart(2, '0')}.bin`;

/** A seeded generator (mulberry32): every system gets the same viewers. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The viewers workloads (what each models, docs/benchmarks.md):
 * - lockstep: every download of one file starts at offset 0 at once;
 * - hot: viewers of one hot file, each starting at a random byte (a `Range` request), as
 *   viewers seek in a film;
 * - zipf: viewers spread over 50 files with Zipf-like popularity (file k ∝ 1/k), each at a
 *   random byte: a catalogue with a few hits and a long tail.
 * A random start leaves at least 1 MiB before the end, so no download ends in the window.
 */
function viewerTargets(kind, base, count) {
  const next = rng(13);
  const margin = 1024 * 1024;
  if (kind === 'lockstep') return Array.from({ length: count }, () => ({ url: `${base}/big.bin`, start: 0 }));
  if (kind === 'hot') {
    const size = HOT.mib * 1024 * 1024;
    return Array.from({ length: count }, () => ({ url: `${base}/${HOT.name}`, start: 1 + Math.floor(next() * (size - margin)) }));
  }
  const weights = Array.from({ length: ZIPF.files }, (_, i) => 1 / (i + 1) ** ZIPF.s);
  const total = weights.reduce((a, b) => a + b, 0);
  const size = ZIPF.mib * 1024 * 1024;
  return Array.from({ length: count }, () => {
    let u = next() * total;
    let k = 0;
    while (k < ZIPF.files - 1 && u > weights[k]) u -= weights[k++];
    return { url: `${base}/${zipfName(k + 1)}`, start: 1 + Math.floor(next() * (size - margin)) };
  });
}

async function viewers(system, media, kind) {
  const rateBps = (P.sessionKbps * 1000) / 8;
  const c = { rateBps, boostSeconds: 0, sharedCapBps: 0 };
  const count = P.viewers.count;
  const r = await withServer(system, c, media, (srv, base) =>
    streamCase(srv, `${base}/big.bin`, {
      count, windowMs: P.viewers.windowMs, settleMs: 1500, rampPerSec: 4000,
      targets: viewerTargets(kind, base, count),
      probe: system.name === 'koa-bandwidth' ? () => cacheCounters(base) : null,
    }));
  const hits = r.probe ? r.probe.end.hits - r.probe.start.hits : null;
  const misses = r.probe ? r.probe.end.misses - r.probe.start.misses : null;
  const out = {
    ...streamFigures(r),
    cacheHitRate: hits != null && hits + misses > 0 ? round(hits / (hits + misses), 3) : null,
    cacheBypassing: r.probe ? r.probe.end.bypassing : null,
    cacheMiB: r.probe ? round(r.probe.end.cachedBytes / 1024 ** 2, 1) : null,
  };
  log(`${system.name} viewers/${kind}: ${out.cpuSecondsPerGB} CPU s/GB, ${out.rssPerSessionKiB} KiB/session, mean ${out.meanSessionKbps} kbps, ${out.responded} responded` +
    (out.cacheHitRate != null ? `, cache hits ${out.cacheHitRate}${out.cacheBypassing ? ' (stepped aside)' : ''}, ${out.cacheMiB} MiB` : ''));
  return out;
}

/** koa-bandwidth's block-cache counters, from its stats endpoint. */
function cacheCounters(base) {
  return new Promise((resolve, reject) => {
    http.get(`${base}/_bandwidth/stats`, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        try {
          resolve(JSON.parse(text).fileCache ?? null);
        } catch (err) {
          reject(err);
        }
      });
    }).on('error', reject);
  });
}

async function withServer(system, c, media, fn, extra = {}) {
  const srv = await system.start(c, media, extra);
  running.add(srv);
  try {
    return await fn(srv, `http://127.0.0.1:${srv.port}`);
  } finally {
    await srv.stop();
    running.delete(srv);
  }
}

const jain = (xs) => {
  const s = xs.reduce((a, b) => a + b, 0);
  const q = xs.reduce((a, b) => a + b * b, 0);
  return q > 0 ? (s * s) / (xs.length * q) : null;
};
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

async function accuracy(system, media) {
  const out = {};
  for (const kbps of P.ratesKbps) {
    const target = (kbps * 1000) / 8;
    const c = { rateBps: target, boostSeconds: P.boostSeconds, sharedCapBps: 0 };
    const r = await withServer(system, c, media, (srv, base) =>
      streamCase(srv, `${base}/big.bin`, {
        count: 1, windowMs: P.accuracyWindowMs, settleMs: P.boostSeconds * 1000 + 500,
      }));
    const simple = r.perSession[0] / r.seconds;
    const measured = r.slopeBps ?? simple;
    out[kbps] = {
      targetBps: target,
      measuredBps: Math.round(measured),
      windowAverageBps: Math.round(simple),
      errorPct: round((Math.abs(measured - target) / target) * 100, 3),
    };
    log(`${system.name} accuracy ${kbps} kbps: ${(measured * 8 / 1000).toFixed(1)} kbps, error ${out[kbps].errorPct} %`);
  }
  return out;
}

async function sharedCap(system, media) {
  const capBps = (P.sharedCapMbps * 1e6) / 8;
  const c = { rateBps: 0, boostSeconds: 0, sharedCapBps: capBps };
  const r = await withServer(system, c, media, (srv, base) =>
    streamCase(srv, `${base}/big.bin`, { count: P.sharedSessions, windowMs: P.sharedWindowMs, settleMs: 1500 }));
  const aggregateBps = sum(r.perSession) / r.seconds;
  const out = {
    sessions: r.connected,
    responded: r.responded,
    errors: r.errors,
    capMbps: P.sharedCapMbps,
    aggregateMbps: round((aggregateBps * 8) / 1e6, 3),
    capErrorPct: round((Math.abs(aggregateBps - capBps) / capBps) * 100, 2),
    jain: round(jain(r.perSession), 4),
    series: r.buckets.map((b, i) => [round(((i + 1) * r.bucketMs) / 1000, 3), round((b * 8) / 1e6 / (r.bucketMs / 1000), 3)]),
    cpuSeconds: round(r.cpuSeconds, 2),
  };
  log(`${system.name} shared cap: ${out.aggregateMbps} Mbps of ${P.sharedCapMbps}, Jain ${out.jain}, ${out.sessions} sessions (${out.responded} got a response)`);
  return out;
}

/** The figures every streaming workload reports, from one streamCase() result. */
/** The run with the median CPU s/GB, with every round's figure beside it. */
function medianRun(list) {
  const ok = list.filter((r) => r && r.cpuSecondsPerGB != null).sort((a, b) => a.cpuSecondsPerGB - b.cpuSecondsPerGB);
  if (!ok.length) return list[0];
  return { ...ok[Math.floor((ok.length - 1) / 2)], roundsCpuSecondsPerGB: list.map((r) => r?.cpuSecondsPerGB ?? null) };
}

function streamFigures(r) {
  const delivered = sum(r.perSession);
  return {
    sessions: r.connected,
    responded: r.responded,
    errors: r.errors,
    deliveredMB: round(delivered / 1e6, 2),
    meanSessionKbps: r.connected ? round((delivered * 8) / 1000 / r.seconds / r.connected, 2) : null,
    cpuSeconds: round(r.cpuSeconds, 3),
    cpuSecondsPerGB: delivered ? round(r.cpuSeconds / (delivered / 1e9), 2) : null,
    rssPerSessionKiB: r.connected ? round((r.rssLoadKiB - r.rssBaseKiB) / r.connected, 2) : null,
  };
}

async function sessions(system, media, count) {
  const rateBps = (P.sessionKbps * 1000) / 8;
  const c = { rateBps, boostSeconds: 0, sharedCapBps: 0 };
  const r = await withServer(system, c, media, (srv, base) =>
    streamCase(srv, `${base}/big.bin`, {
      count, windowMs: P.sessionWindowMs, settleMs: 1500, rampPerSec: count >= 5000 ? 5000 : 4000,
    }));
  const out = { ...streamFigures(r), rssBaseKiB: r.rssBaseKiB, rssLoadKiB: r.rssLoadKiB };
  log(`${system.name} ${count} × ${P.sessionKbps} kbps: ${out.cpuSecondsPerGB} CPU s/GB, ${out.rssPerSessionKiB} KiB/session, mean ${out.meanSessionKbps} kbps, ${out.sessions} connected`);
  return out;
}

async function rps(system, media) {
  const c = { rateBps: 0, boostSeconds: 0, sharedCapBps: 0 };
  const r = await withServer(system, c, media, (srv, base) => rpsCase(srv, `${base}/small.bin`, P.rps));
  log(`${system.name} small files: ${Math.round(r.requestsPerSecond)} req/s`);
  return { ...r, requestsPerSecond: Math.round(r.requestsPerSecond), cpuMicrosPerRequest: round(r.cpuMicrosPerRequest, 1) };
}

async function profile(media) {
  const dir = tmpDir('peers-prof-');
  const count = P.sessionCounts[0];
  const system = SYSTEMS[0];
  const c = { rateBps: (P.sessionKbps * 1000) / 8, boostSeconds: 0, sharedCapBps: 0 };
  let r;
  let stoppedAt;
  await withServer(system, c, media, async (srv, base) => {
    r = await streamCase(srv, `${base}/big.bin`, { count, windowMs: P.sessionWindowMs, settleMs: 1500 });
    stoppedAt = Date.now();
  }, { profileDir: dir });
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  const prof = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  if (process.env.KEEP_PROFILE) fs.copyFileSync(path.join(dir, file), process.env.KEEP_PROFILE);
  fs.rmSync(dir, { recursive: true, force: true });
  // The profile ends when the server exits, just after we stop it: map the window onto the
  // profile's clock from there (to within the few ms the exit takes).
  const span = {
    fromUs: prof.endTime - (stoppedAt - r.windowStart) * 1000,
    toUs: prof.endTime - (stoppedAt - r.windowEnd) * 1000,
  };
  const windowed = summariseProfile(prof, { span });
  const whole = summariseProfile(prof);
  return {
    workload: `${count} sessions × ${P.sessionKbps} kbps, samples inside the ${P.sessionWindowMs / 1000} s window`,
    ...windowed,
    wholeRun: { busyMs: whole.busyMs, idleMs: whole.idleMs, byArea: whole.byArea },
  };
}

function round(v, d = 2) {
  return v == null || !Number.isFinite(v) ? null : Math.round(v * 10 ** d) / 10 ** d;
}

async function guarded(label, fn) {
  try {
    return await fn();
  } catch (err) {
    log(`${label} failed: ${err.message}`);
    return { error: err.message };
  }
}

async function main() {
  const started = new Date();
  const load0 = os.loadavg();
  const media = makeMedia();
  const details = {};
  try {
    for (const system of systems) {
      const d = (details[system.name] = {});
      if (system.name === 'koa-bandwidth' && !koaBandwidthAvailable()) {
        d.error = 'dist/lib/cli/main.js missing: run `npm run build` once `serve` has landed';
        log(`koa-bandwidth skipped: ${d.error}`);
        continue;
      }
      if (system.name === 'koa-bandwidth') {
        d.via = koaBandwidthMode() === 'serve'
          ? 'koa-bandwidth serve'
          : 'library: app.use(bandwidth({conf})) in the Koa file server the npm peers use (serve not built)';
      }
      log(`--- ${system.name}${d.via ? ` (${d.via})` : ''}`);
      if (wants('accuracy')) d.accuracy = await guarded(`${system.name} accuracy`, () => accuracy(system, media));
      if (wants('shared')) {
        d.sharedCap = system.canShareCap
          ? await guarded(`${system.name} shared cap`, () => sharedCap(system, media))
          : { unsupported: true };
      }
      if (wants('sessions')) {
        d.sessions = {};
        for (const n of P.sessionCounts) d.sessions[n] = await guarded(`${system.name} ${n} sessions`, () => sessions(system, media, n));
      }
      if (wants('rps')) d.smallFiles = await guarded(`${system.name} small files`, () => rps(system, media));
    }
    // Viewers: the systems side by side for each workload, so each ratio is of neighbours in time.
    if (wants('viewers')) {
      const sys = [...systems.filter((x) => x.name === 'koa-bandwidth' || x.name === 'nginx'), ...(flag('no-floor') ? [] : [FLOOR])];
      const v = (details.viewers = {});
      // Each workload runs `rounds` times, the systems alternating within a round: a system's
      // figure is its median round, and the ratio to nginx the median of the rounds' ratios,
      // so one round disturbed by other work on the machine does not decide it.
      for (const kind of ['hot', 'zipf', 'lockstep']) {
        const runs = {};
        for (let round = 0; round < P.viewers.rounds; round++) {
          for (const system of sys) {
            if (details[system.name]?.error) continue;
            (runs[system.name] ??= []).push(await guarded(`${system.name} viewers/${kind}`, () => viewers(system, media, kind)));
          }
        }
        v[kind] = {};
        for (const [name, list] of Object.entries(runs)) v[kind][name] = medianRun(list);
        const kb = runs['koa-bandwidth'] ?? [];
        const ng = runs.nginx ?? [];
        const ratios = kb.map((r, i) => (r?.cpuSecondsPerGB != null && ng[i]?.cpuSecondsPerGB ? round(r.cpuSecondsPerGB / ng[i].cpuSecondsPerGB) : null)).filter((x) => x != null);
        if (ratios.length) v[kind].ratios = ratios;
      }
    }
    // The reference floor: what bare Node costs at the same write pace (floor-server.js).
    if (wants('sessions') && !flag('no-floor')) {
      const n = P.sessionCounts[0];
      log(`--- ${FLOOR.name} (reference: bare Node, fs.read + res.write on the same pace)`);
      details[FLOOR.name] = { sessions: { [n]: await guarded(`${FLOOR.name} ${n} sessions`, () => sessions(FLOOR, media, n)) } };
    }
    let prof = null;
    if ((flag('profile') || !quick) && details['koa-bandwidth'] && !details['koa-bandwidth'].error) {
      log('--- koa-bandwidth under --cpu-prof');
      prof = await guarded('profile', () => profile(media));
    }
    const result = report.assemble({ details, params: P, quick, started, load0, profile: prof, nginx: nginxVersion() });
    fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'peers.json'), JSON.stringify(result, null, 2) + '\n');
    const series = SYSTEMS.filter((s) => details[s.name]).map((s) => ({
      name: s.name + (s.canShareCap ? '' : ' (no shared cap)'),
      points: details[s.name].sharedCap?.series ?? [],
    }));
    if (wants('shared')) fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'peers-shared-cap.svg'), lineChart({
      title: `${P.sharedSessions} sessions under one ${P.sharedCapMbps} Mbit/s cap`,
      series, capMbps: P.sharedCapMbps,
      note: `${quick ? '--quick, ' : ''}${started.toISOString().slice(0, 16)}Z, ${os.cpus().length} cores`,
    }));
    const table = report.table(result);
    process.stdout.write(`\n${table}\n\n${report.viewersTable(result)}\n${report.targetsText(result)}\n`);
    if (prof && !prof.error) process.stdout.write(`\n${report.profileText(prof)}\n`);
    if (!quick || flag('docs')) report.updateDocs(path.join(ROOT, 'docs', 'benchmarks.md'), result);
  } finally {
    await cleanup();
    fs.rmSync(media, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  async (err) => {
    log(err.stack || err);
    await cleanup();
    process.exit(1);
  },
);
