'use strict';
// Turns the per-system details into peers.json, a printed table and the docs block.
const fs = require('node:fs');
const os = require('node:os');

const NAMES = ['koa-bandwidth', 'nginx', 'stream-throttle', 'throttle'];
const NPM_PEERS = ['stream-throttle', 'throttle'];

function headline(d, params) {
  if (!d || d.error) return { accuracyErrorPct: null, cpuSecondsPerGB: null, rssPerSessionKiB: null, jain: null };
  const acc = d.accuracy && !d.accuracy.error ? Object.values(d.accuracy).map((r) => r.errorPct) : [];
  const s1k = d.sessions?.[params.sessionCounts[0]];
  const largest = d.sessions?.[params.sessionCounts[params.sessionCounts.length - 1]];
  const rssFrom = largest && largest.rssPerSessionKiB != null ? largest : s1k;
  return {
    // the worst of the rates: the per-rate errors are under details
    accuracyErrorPct: acc.length && acc.every((e) => e != null) ? Math.max(...acc) : null,
    cpuSecondsPerGB: s1k?.cpuSecondsPerGB ?? null,
    rssPerSessionKiB: rssFrom?.rssPerSessionKiB ?? null,
    jain: d.sharedCap?.jain ?? null,
  };
}

function targets(systems, details, params) {
  const k = systems['koa-bandwidth'];
  const n = systems.nginx;
  const out = {};
  const kAcc = details['koa-bandwidth']?.accuracy;
  const nAcc = details.nginx?.accuracy;
  if (kAcc && nAcc && !kAcc.error && !nAcc.error) {
    out.accuracyVsNginx = params.ratesKbps.map((r) => ({
      rateKbps: r, koaBandwidth: kAcc[r]?.errorPct, nginx: nAcc[r]?.errorPct,
      met: kAcc[r]?.errorPct != null && nAcc[r]?.errorPct != null && kAcc[r].errorPct <= nAcc[r].errorPct,
    }));
  }
  const peerCpu = NPM_PEERS.map((p) => systems[p]?.cpuSecondsPerGB).filter((v) => v != null);
  if (k?.cpuSecondsPerGB != null && peerCpu.length) {
    const best = Math.min(...peerCpu);
    out.cpuVsNpm = { koaBandwidth: k.cpuSecondsPerGB, bestNpmPeer: best, ratio: round(k.cpuSecondsPerGB / best), limit: 0.5, met: k.cpuSecondsPerGB <= 0.5 * best };
  }
  const floor = details['node-floor']?.sessions?.[params.sessionCounts[0]]?.cpuSecondsPerGB;
  if (floor != null) {
    out.nodeFloor = { cpuSecondsPerGB: floor, vsNginx: n?.cpuSecondsPerGB ? round(floor / n.cpuSecondsPerGB) : null, koaBandwidthVsFloor: k?.cpuSecondsPerGB != null ? round(k.cpuSecondsPerGB / floor) : null };
  }
  const v = details.viewers;
  if (v) {
    out.viewers = VIEWER_LIMITS.filter(([w]) => v[w]).map(([w, limit]) => {
      const kb = v[w]['koa-bandwidth']?.cpuSecondsPerGB;
      const ng = v[w].nginx?.cpuSecondsPerGB;
      const ratio = viewerRatio(v[w]);
      return { workload: w, koaBandwidth: kb ?? null, nginx: ng ?? null, ratio, rounds: v[w].ratios ?? null, limit, met: ratio != null && ratio <= limit };
    });
  }
  const big = details['koa-bandwidth']?.sessions?.[10000]?.rssPerSessionKiB;
  if (big != null) out.rssAt10000 = { koaBandwidth: big, limitKiB: 24, met: big <= 24 };
  if (k?.cpuSecondsPerGB != null && n?.cpuSecondsPerGB != null) {
    out.cpuVsNginx = { koaBandwidth: k.cpuSecondsPerGB, nginx: n.cpuSecondsPerGB, ratio: round(k.cpuSecondsPerGB / n.cpuSecondsPerGB), limit: 3, met: k.cpuSecondsPerGB <= 3 * n.cpuSecondsPerGB };
  }
  return out;
}

/** koa-bandwidth ÷ nginx for a workload: the median of its rounds' ratios, else of its figures. */
function viewerRatio(r) {
  if (r.ratios?.length) {
    const xs = [...r.ratios].sort((a, b) => a - b);
    const mid = xs.length / 2;
    return round(xs.length % 2 ? xs[Math.floor(mid)] : (xs[mid - 1] + xs[mid]) / 2);
  }
  const kb = r['koa-bandwidth']?.cpuSecondsPerGB;
  const ng = r.nginx?.cpuSecondsPerGB;
  return kb != null && ng ? round(kb / ng) : null;
}

/** The viewers workloads' limits on koa-bandwidth's CPU s/GB as a multiple of nginx's. */
const VIEWER_LIMITS = [['hot', 1.0], ['zipf', 1.5], ['lockstep', 2.5]];
const VIEWER_TEXT = {
  hot: 'random offsets, one hot file of 32 MiB',
  zipf: 'random offsets, 50 files of 8 MiB, Zipf popularity',
  lockstep: 'lockstep: all at offset 0 of one file',
};

/** The viewers table: CPU s/GB and RSS per session per system, side by side per workload. */
function viewersTable(result) {
  const v = result.details.viewers;
  if (!v) return '';
  const head = ['workload (1,000 × 64 kbps)', 'koa-bandwidth CPU s/GB', 'nginx CPU s/GB', 'node floor CPU s/GB', 'koa-bandwidth ÷ nginx (limit)',
    'RSS KiB/session koa-bandwidth / nginx / floor', 'cache hit rate'];
  const rows = [head, head.map(() => '---')];
  for (const [w, limit] of VIEWER_LIMITS) {
    const r = v[w];
    if (!r) continue;
    const kb = r['koa-bandwidth'] ?? {};
    const ng = r.nginx ?? {};
    const fl = r['node-floor'] ?? {};
    const ratio = viewerRatio(r);
    rows.push([
      VIEWER_TEXT[w], fmt(kb.cpuSecondsPerGB), fmt(ng.cpuSecondsPerGB), fmt(fl.cpuSecondsPerGB),
      `${fmt(ratio)}× (≤ ${limit}×)${r.ratios?.length > 1 ? ` [rounds ${r.ratios.map((x) => fmt(x)).join(', ')}]` : ''}`,
      `${fmt(kb.rssPerSessionKiB, 1)} / ${fmt(ng.rssPerSessionKiB, 1)} / ${fmt(fl.rssPerSessionKiB, 1)}`,
      kb.cacheHitRate == null ? '—' : `${fmt(kb.cacheHitRate * 100, 1)} %${kb.cacheBypassing ? ' (stepped aside)' : ''}`,
    ]);
  }
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function round(v, d = 2) {
  return v == null || !Number.isFinite(v) ? null : Math.round(v * 10 ** d) / 10 ** d;
}

function assemble({ details, params, quick, started, load0, profile, nginx }) {
  const systems = {};
  for (const name of NAMES) if (details[name]) systems[name] = headline(details[name], params);
  const cpus = os.cpus();
  return {
    systems,
    targets: targets(systems, details, params),
    run: {
      started: started.toISOString(),
      finished: new Date().toISOString(),
      quick,
      machine: {
        cpu: cpus[0]?.model ?? 'unknown',
        cores: cpus.length,
        memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
        kernel: `${os.type()} ${os.release()}`,
        node: process.version,
        nginx,
        loadavgBefore: load0.map((v) => round(v)),
        loadavgAfter: os.loadavg().map((v) => round(v)),
      },
      params,
    },
    details,
    profile,
  };
}

const fmt = (v, d = 2) => (v == null ? '—' : typeof v === 'number' ? String(round(v, d)) : String(v));

/** A Markdown table (also readable in a terminal). */
function table(result) {
  const p = result.run.params;
  const head = ['system', ...p.ratesKbps.map((r) => `err % @${r >= 1000 ? `${r / 1000} Mbps` : `${r} kbps`}`),
    `shared cap Mbps (of ${p.sharedCapMbps})`, 'Jain',
    ...p.sessionCounts.map((n) => `CPU s/GB @${n}`), 'RSS KiB/session', 'small files req/s'];
  const rows = [head, head.map(() => '---')];
  for (const [name, s] of Object.entries(result.systems)) {
    const d = result.details[name] ?? {};
    const acc = d.accuracy && !d.accuracy.error ? d.accuracy : {};
    const shared = d.sharedCap?.unsupported ? 'n/a' : fmt(d.sharedCap?.aggregateMbps);
    rows.push([
      name,
      ...p.ratesKbps.map((r) => fmt(acc[r]?.errorPct, 3)),
      shared,
      d.sharedCap?.unsupported ? 'n/a' : fmt(s.jain, 4),
      ...p.sessionCounts.map((n) => fmt(d.sessions?.[n]?.cpuSecondsPerGB)),
      fmt(s.rssPerSessionKiB),
      fmt(d.smallFiles?.requestsPerSecond, 0),
    ]);
  }
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function targetsText(result) {
  const t = result.targets;
  const lines = ['Targets (docs/benchmarks.md):'];
  if (t.accuracyVsNginx) {
    for (const a of t.accuracyVsNginx) {
      lines.push(`- accuracy @${a.rateKbps} kbps: koa-bandwidth ${fmt(a.koaBandwidth, 3)} % vs nginx ${fmt(a.nginx, 3)} % → ${a.met ? 'met' : 'MISSED'}`);
    }
  } else lines.push('- accuracy vs nginx: not measured');
  if (t.cpuVsNpm) lines.push(`- CPU/GB vs best npm peer: ${t.cpuVsNpm.koaBandwidth} vs ${t.cpuVsNpm.bestNpmPeer} s/GB = ${t.cpuVsNpm.ratio}× (limit 0.5×) → ${t.cpuVsNpm.met ? 'met' : 'MISSED'}`);
  else lines.push('- CPU/GB vs npm peers: not measured');
  if (t.cpuVsNginx) lines.push(`- CPU/GB vs nginx: ${t.cpuVsNginx.koaBandwidth} vs ${t.cpuVsNginx.nginx} s/GB = ${t.cpuVsNginx.ratio}× (limit 3×) → ${t.cpuVsNginx.met ? 'met' : 'MISSED'}`);
  else lines.push('- CPU/GB vs nginx: not measured');
  if (t.viewers) {
    lines.push('Targets (viewers at 1,000 × 64 kbps, docs/benchmarks.md):');
    for (const w of t.viewers) {
      const rounds = w.rounds?.length > 1 ? `, the median of ${w.rounds.length} paired rounds (${w.rounds.map((x) => `${fmt(x)}×`).join(', ')})` : '';
      lines.push(`- ${VIEWER_TEXT[w.workload]}: ${fmt(w.koaBandwidth)} vs nginx ${fmt(w.nginx)} s/GB (medians) = ${fmt(w.ratio)}×${rounds} (limit ${w.limit}×) → ${w.met ? 'met' : 'MISSED'}`);
    }
  }
  if (t.rssAt10000) lines.push(`- RSS at 10,000 sessions: ${t.rssAt10000.koaBandwidth} KiB/session (limit ${t.rssAt10000.limitKiB}) → ${t.rssAt10000.met ? 'met' : 'MISSED'}`);
  if (t.nodeFloor) {
    lines.push(`- reference: bare Node (fs.read + res.write on the same pace, floor-server.js) ${t.nodeFloor.cpuSecondsPerGB} s/GB` +
      `${t.nodeFloor.vsNginx != null ? ` = ${t.nodeFloor.vsNginx}× nginx` : ''}${t.nodeFloor.koaBandwidthVsFloor != null ? `; koa-bandwidth = ${t.nodeFloor.koaBandwidthVsFloor}× the floor` : ''}`);
  }
  return lines.join('\n');
}

function profileText(prof) {
  const lines = [`koa-bandwidth CPU profile (${prof.workload}; busy ${prof.busyMs} ms, idle ${prof.idleMs} ms):`];
  lines.push('by area: ' + prof.byArea.map((a) => `${a.name} ${a.pct} %`).join(', '));
  lines.push('top self time:');
  for (const f of prof.topSelf) lines.push(`  ${String(f.pct).padStart(5)} %  ${f.name}`);
  if (prof.wholeRun) {
    lines.push(`whole run incl. start-up and 1 connect per session (busy ${prof.wholeRun.busyMs} ms): ` +
      prof.wholeRun.byArea.slice(0, 6).map((a) => `${a.name} ${a.pct} %`).join(', '));
  }
  return lines.join('\n');
}

/** Replaces the generated block of docs/benchmarks.md (between the markers). */
function updateDocs(file, result) {
  const begin = '<!-- peers:results:begin -->';
  const end = '<!-- peers:results:end -->';
  if (!fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return;
  const m = result.run.machine;
  const block = [
    begin,
    `Run ${result.run.started.slice(0, 16).replace('T', ' ')} UTC${result.run.quick ? ' (--quick)' : ''} on ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.kernel}, Node ${m.node}, ${m.nginx ?? 'nginx ?'}; load average before ${m.loadavgBefore.join(' / ')}, after ${m.loadavgAfter.join(' / ')}.`,
    '',
    table(result),
    '',
    viewersTable(result),
    '',
    targetsText(result),
    '',
    result.profile && !result.profile.error ? '```\n' + profileText(result.profile) + '\n```\n' : '',
    '![Throughput over time under a shared cap](../bench/results/peers-shared-cap.svg)',
    end,
  ].join('\n');
  fs.writeFileSync(file, text.slice(0, i) + block + text.slice(j + end.length));
}

module.exports = { assemble, table, viewersTable, targetsText, profileText, updateDocs };
