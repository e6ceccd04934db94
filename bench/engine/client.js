'use strict';
// Load client process (forked with IPC). Receives one scenario message, replies with results.
//   {kind: 'download', port, groups: [{name, path, count, boost}], warmMs, windowMs, rampPerSec}
//   {kind: 'rps', port, path, connections, durationMs}
// A download's rate is the least-squares slope of cumulative bytes over arrival time for the
// chunks inside its window: neither write quantisation nor one late write biases it the way
// two end points would.
const { performance } = require('node:perf_hooks');
const http = require('node:http');
const net = require('node:net');

function downloads(s) {
  const sessions = [];
  let agg = 0;
  let winStart = Infinity;
  let winEnd = Infinity;
  let started = 0;
  const total = s.groups.reduce((a, g) => a + g.count, 0);
  const list = [];
  for (const g of s.groups) for (let i = 0; i < g.count; i++) list.push(g);
  return new Promise((resolve) => {
    const startOne = (g) => {
      const rec = { group: g.name, boost: g.boost, b: 0, tb: g.boost ? -1 : 0, t1: -1, t2: -1, n: 0, st: 0, sb: 0, stb: 0, stt: 0, err: null, req: null };
      sessions.push(rec);
      // A raw socket, not http.get: thousands of sessions must cost the client little CPU.
      const req = net.connect({ host: '127.0.0.1', port: s.port }, () => {
        req.write(`GET ${g.path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n`);
      });
      let head = true;
      req.on('data', (c) => {
        const now = performance.now();
        let n = c.length;
        if (head) {
          const i = c.indexOf('\r\n\r\n');
          if (i < 0) return;
          head = false;
          n -= i + 4;
          if (n === 0) return;
        }
        rec.b += n;
        if (rec.tb < 0 && rec.b >= rec.boost) rec.tb = now;
        const ws = Math.max(winStart, rec.tb < 0 ? Infinity : rec.tb + (rec.boost ? 500 : 0));
        if (now >= winStart && now <= winEnd) agg += n;
        if (now >= ws && now <= ws + s.windowMs) {
          if (rec.t1 < 0) rec.t1 = now;
          rec.t2 = now;
          const t = (now - rec.t1) / 1000;
          rec.n++;
          rec.st += t;
          rec.sb += rec.b;
          rec.stb += t * rec.b;
          rec.stt += t * t;
        }
      });
      req.on('error', (e) => (rec.err ??= e.code ?? e.message));
      rec.req = req;
    };
    const batch = Math.max(1, Math.round((s.rampPerSec ?? 2000) / 20));
    const ramp = setInterval(() => {
      for (let k = 0; k < batch && started < total; k++) startOne(list[started++]);
      if (started >= total) {
        clearInterval(ramp);
        winStart = performance.now() + s.warmMs;
        winEnd = winStart + s.windowMs;
        setTimeout(() => process.send({ event: 'window-start' }), s.warmMs);
        setTimeout(() => process.send({ event: 'window-end' }), s.warmMs + s.windowMs);
        const maxBoostWait = s.groups.some((g) => g.boost) ? 1500 : 0;
        setTimeout(finish, s.warmMs + s.windowMs + maxBoostWait + 1500);
      }
    }, 20);
    function finish() {
      for (const r of sessions) r.req.destroy();
      const groups = {};
      for (const r of sessions) {
        const g = (groups[r.group] ??= { rates: [], errors: 0, why: {} });
        if (r.err || r.n < 3) {
          g.errors++;
          const why = r.err ?? (r.b === 0 ? 'no data' : 'too few chunks');
          g.why[why] = (g.why[why] ?? 0) + 1;
        }
        else g.rates.push((r.n * r.stb - r.st * r.sb) / (r.n * r.stt - r.st * r.st));
      }
      resolve({ aggregate: (agg * 1000) / s.windowMs, groups });
    }
  });
}

function rps(s) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: s.connections });
  let done = 0;
  let stop = false;
  return new Promise((resolve) => {
    const t0 = performance.now();
    const loop = () => {
      if (stop) return;
      const req = http.get({ host: '127.0.0.1', port: s.port, path: s.path, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          done++;
          loop();
        });
      });
      req.on('error', () => loop());
    };
    for (let i = 0; i < s.connections; i++) loop();
    setTimeout(() => {
      stop = true;
      const ms = performance.now() - t0;
      agent.destroy();
      resolve({ rps: (done * 1000) / ms });
    }, s.durationMs);
  });
}

process.once('message', async (s) => {
  const out = s.kind === 'rps' ? await rps(s) : await downloads(s);
  process.send({ event: 'result', result: out }, () => process.exit(0));
});
