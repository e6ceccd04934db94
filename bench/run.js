'use strict';
// `npm run bench` (builds first, runs from dist/): the metering engine's accuracy, fairness,
// scale and overhead, with the server and the load clients in separate processes on loopback.
// Writes bench/results/engine.json and prints a table. `node bench/run.js scale` runs one part.
const { performance } = require('node:perf_hooks');
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ENGINE = path.join(__dirname, 'engine');
const kbps = (k) => (k * 1000) / 8; // → bytes/s

function media() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-media-'));
  const fd = fs.openSync(path.join(dir, 'big.bin'), 'w');
  fs.ftruncateSync(fd, 2 ** 30); // sparse: reads are cheap and need no disk
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'small.bin'), Buffer.alloc(4096, 1));
  return dir;
}

function startServer(mode, dir) {
  const execArgv = process.env.BENCH_SERVER_NODE_OPTIONS ? process.env.BENCH_SERVER_NODE_OPTIONS.split(' ') : [];
  const child = fork(path.join(ENGINE, 'server.js'), [mode, dir], { stdio: 'inherit', execArgv });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: m.port }));
    child.once('error', reject);
  });
}

function stopServer(s) {
  return new Promise((resolve) => {
    s.child.once('exit', resolve);
    s.child.send('exit');
    setTimeout(() => s.child.kill(), 3000).unref();
  });
}

function usage(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in seconds (USER_HZ = 100)
  const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); // KiB
  return { cpu, rss, t: performance.now() };
}

/** Run a scenario in `clients` client processes; samples the server's CPU/RSS over the window. */
async function load(server, scenario, clients = 1) {
  const marks = {};
  const results = await Promise.all(
    Array.from({ length: clients }, (_, i) => {
      const sc = { ...scenario, port: server.port };
      if (sc.groups) sc.groups = sc.groups.map((g) => ({ ...g, count: Math.floor(g.count / clients) + (i < g.count % clients ? 1 : 0) }));
      const c = fork(path.join(ENGINE, 'client.js'), [], { stdio: 'inherit' });
      return new Promise((resolve) => {
        c.on('message', (m) => {
          if (m.event === 'result') resolve(m.result);
          else if (i === 0) {
            marks[m.event] = usage(server.child.pid);
          }
        });
        c.send(sc);
      });
    }),
  );
  const merged = { aggregate: 0, groups: {}, rps: 0 };
  for (const r of results) {
    merged.aggregate += r.aggregate ?? 0;
    merged.rps += r.rps ?? 0;
    for (const [k, g] of Object.entries(r.groups ?? {})) {
      const m = (merged.groups[k] ??= { rates: [], errors: 0, why: {} });
      m.rates.push(...g.rates);
      m.errors += g.errors;
      for (const [w, c] of Object.entries(g.why)) m.why[w] = (m.why[w] ?? 0) + c;
    }
  }
  const a = marks['window-start'];
  const b = marks['window-end'];
  if (a && b) merged.cpuPct = ((b.cpu - a.cpu) / ((b.t - a.t) / 1000)) * 100;
  if (b) merged.rssEnd = b.rss;
  return merged;
}

const jain = (xs) => xs.reduce((s, x) => s + x, 0) ** 2 / (xs.length * xs.reduce((s, x) => s + x * x, 0));
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function accuracy(dir) {
  const server = await startServer('engine', dir);
  const targets = [256, 2000, 20000, 100000];
  const groups = targets.map((k) => ({ name: String(k), path: `/big.bin?rate=${kbps(k)}&boost=${kbps(k)}`, count: 1, boost: kbps(k) }));
  const r = await load(server, { kind: 'download', groups, warmMs: 0, windowMs: 10_000, rampPerSec: 1000 });
  await stopServer(server);
  return targets.map((k) => {
    const achieved = (r.groups[String(k)].rates[0] * 8) / 1000;
    return { targetKbps: k, achievedKbps: round(achieved), errorPct: round(((achieved - k) / k) * 100, 3) };
  });
}

async function fairness(dir, halfLimited) {
  const server = await startServer('engine', dir);
  const cap = kbps(50_000);
  const groups = halfLimited
    ? [
        { name: 'limited', path: `/big.bin?vcap=${cap}&rate=${kbps(10)}`, count: 500, boost: 0 },
        { name: 'free', path: `/big.bin?vcap=${cap}`, count: 500, boost: 0 },
      ]
    : [{ name: 'all', path: `/big.bin?vcap=${cap}`, count: 1000, boost: 0 }];
  const r = await load(server, { kind: 'download', groups, warmMs: 2000, windowMs: 10_000, rampPerSec: 2000 });
  await stopServer(server);
  // The aggregate is the sum of the sessions' rates (each a least-squares slope). Bytes counted
  // in one fixed 10 s window are also given: sessions write in near lock-step every 250–500 ms,
  // so that count carries up to one write period of quantisation.
  const all = Object.values(r.groups).flatMap((g) => g.rates);
  const sum = all.reduce((a, x) => a + x, 0);
  const out = {
    sessions: 1000,
    capMbps: 50,
    aggregateMbps: round((sum * 8) / 1e6, 3),
    aggregatePct: round((sum / cap) * 100, 2),
    windowBytesMbps: round((r.aggregate * 8) / 1e6, 3),
  };
  if (halfLimited) {
    const lim = r.groups.limited.rates;
    const free = r.groups.free.rates;
    out.limitedKbps = round((mean(lim) * 8) / 1000, 2);
    out.freeKbps = round((mean(free) * 8) / 1000, 2);
    out.freeExpectedKbps = round((50_000 - 500 * 10) / 500, 2);
    out.jainFree = round(jain(free), 4);
    out.errors = r.groups.limited.errors + r.groups.free.errors;
  } else {
    out.jain = round(jain(r.groups.all.rates), 4);
    out.errors = r.groups.all.errors;
  }
  return out;
}

async function scale(dir) {
  const server = await startServer('engine', dir);
  await load(server, { kind: 'rps', path: '/small.bin', connections: 8, durationMs: 500 }); // warm the server
  const base = usage(server.child.pid);
  const n = Number(process.env.BENCH_SCALE_SESSIONS ?? 10_000);
  const groups = [{ name: 'all', path: `/big.bin?rate=${kbps(64)}`, count: n, boost: 0 }];
  const r = await load(server, { kind: 'download', groups, warmMs: 3000, windowMs: 10_000, rampPerSec: 800 }, 2);
  await stopServer(server);
  const errs = r.groups.all.rates.map((x) => Math.abs((x - kbps(64)) / kbps(64)) * 100);
  return {
    sessions: n,
    measured: r.groups.all.rates.length,
    failed: r.groups.all.errors,
    failedWhy: r.groups.all.why,
    cpuPct: round(r.cpuPct, 1),
    rssPerSessionKiB: round((r.rssEnd - base.rss) / n, 2),
    worstErrorPct: round(Math.max(...errs), 3),
    over2Pct: errs.filter((e) => e > 2).length,
    p99ErrorPct: round(errs.sort((a, b) => a - b)[Math.floor(errs.length * 0.99)], 3),
    meanKbps: round((mean(r.groups.all.rates) * 8) / 1000, 3),
  };
}

async function overhead(dir) {
  const rounds = { plain: [], engine: [] };
  for (let i = 0; i < 3; i++) {
    for (const mode of ['plain', 'engine']) {
      const server = await startServer(mode, dir);
      await load(server, { kind: 'rps', path: '/small.bin', connections: 16, durationMs: 500 });
      const r = await load(server, { kind: 'rps', path: '/small.bin', connections: 16, durationMs: 2500 });
      rounds[mode].push(r.rps);
      await stopServer(server);
    }
  }
  const plain = mean(rounds.plain);
  const engine = mean(rounds.engine);
  return { plainRps: round(plain, 0), engineRps: round(engine, 0), ratio: round(engine / plain, 4) };
}

async function main() {
  const only = process.argv[2];
  const dir = media();
  const resFile = path.join(__dirname, 'results', 'engine.json');
  const results = fs.existsSync(resFile) ? JSON.parse(fs.readFileSync(resFile, 'utf8')) : {};
  const load1 = os.loadavg()[0];
  try {
    if (!only || only === 'accuracy') results.accuracy = await accuracy(dir);
    if (!only || only === 'fairness') {
      results.fairness = await fairness(dir, false);
      results.fairness.halfLimited = await fairness(dir, true);
    }
    if (!only || only === 'scale') results.scale = await scale(dir);
    if (!only || only === 'overhead') results.overhead = await overhead(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  results.machine = { cpus: os.cpus().length, node: process.version, loadavg1Start: round(load1), loadavg1End: round(os.loadavg()[0]), date: new Date().toISOString() };
  fs.mkdirSync(path.dirname(resFile), { recursive: true });
  fs.writeFileSync(resFile, `${JSON.stringify(results, null, 2)}\n`);
  print(results);
}

function print(r) {
  const rows = [];
  for (const a of r.accuracy ?? []) rows.push([`accuracy ${a.targetKbps} kbps`, `${a.achievedKbps} kbps`, `${a.errorPct} %`, '±1 %']);
  if (r.fairness) {
    const f = r.fairness;
    rows.push(['fairness 1000 × 50 Mbps cap', `${f.aggregateMbps} Mbps (${f.aggregatePct} %)`, `Jain ${f.jain}`, '98–101 %, Jain ≥ 0.99']);
    const h = f.halfLimited;
    if (h) rows.push(['  half BT-limited to 10 kbps', `${h.aggregateMbps} Mbps (${h.aggregatePct} %)`, `rest ${h.freeKbps}/${h.freeExpectedKbps} kbps`, '≥ 98 %']);
  }
  if (r.scale) {
    const s = r.scale;
    rows.push([`scale ${s.sessions} × 64 kbps`, `worst ${s.worstErrorPct} %`, `cpu ${s.cpuPct} %, rss ${s.rssPerSessionKiB} KiB/session`, '±2 %, ≤ 100 %, ≤ 64 KiB']);
  }
  if (r.overhead) rows.push(['overhead (small file req/s)', `${r.overhead.engineRps} / ${r.overhead.plainRps}`, `ratio ${r.overhead.ratio}`, '≥ 0.97']);
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length), 6));
  const line = (cells) => cells.map((c, i) => c.padEnd(w[i])).join(' │ ');
  console.log(line(['bench', 'result', 'detail', 'target']));
  console.log(w.map((x) => '─'.repeat(x)).join('─┼─'));
  for (const row of rows) console.log(line(row));
  console.log(`(load average ${r.machine.loadavg1Start} → ${r.machine.loadavg1End} on ${r.machine.cpus} CPUs, shared with other jobs)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
