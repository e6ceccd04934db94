'use strict';
// Load client process (forked with IPC). Receives one scenario message, replies with results.
//   {kind: 'download', port, groups: [{name, host, path, count, boost}], warmMs, windowMs, rampPerSec}
//   {kind: 'rps', port, path, connections, durationMs}
// A download's rate is the least-squares slope of cumulative bytes over arrival time for the
// chunks inside its window: neither write quantisation nor one late write biases it the way
// two end points would.
const { performance, monitorEventLoopDelay } = require('node:perf_hooks');
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
  // The client's own event-loop delay over the window: a late 'data' event is charged to the
  // session's rate as if the server had been late, so it is reported next to the figures.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  return new Promise((resolve) => {
    const startOne = (g) => {
      const rec = { group: g.name, boost: g.boost, b: 0, tb: g.boost ? -1 : 0, t1: -1, t2: -1, n: 0, st: 0, sb: 0, stb: 0, stt: 0, err: null, req: null };
      sessions.push(rec);
      // A raw socket, not http.get: thousands of sessions must cost the client little CPU.
      const req = net.connect({ host: '127.0.0.1', port: s.port }, () => {
        req.write(`GET ${g.path} HTTP/1.1\r\nHost: ${g.host ?? 'bench'}\r\nConnection: close\r\n\r\n`);
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
        setTimeout(() => {
          lag.enable();
          process.send({ event: 'window-start' });
        }, s.warmMs);
        setTimeout(() => {
          lag.disable();
          process.send({ event: 'window-end' });
        }, s.warmMs + s.windowMs);
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
      const ms = (ns) => Math.round(ns / 1e4) / 100;
      resolve({ aggregate: (agg * 1000) / s.windowMs, groups, clientLagMs: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) } });
    }
  });
}

/**
 * Small-file requests per second over `connections` keep-alive sockets, one request in flight
 * on each. A raw socket with a minimal response parser (status line, Content-Length, body
 * skipped), not http.Agent: the client shares the machine's two cores with the server, and the
 * less it uses, the less it disturbs what the server's CPU time per response measures.
 */
function rps(s) {
  const request = Buffer.from(`GET ${s.path} HTTP/1.1\r\nHost: ${s.host ?? 'bench'}\r\n\r\n`);
  let done = 0;
  let failed = 0;
  let stop = false;
  const sockets = [];
  const open = () => {
    const sock = net.connect({ host: '127.0.0.1', port: s.port });
    sockets.push(sock);
    sock.setNoDelay(true);
    let buf = null; // unparsed head bytes
    let body = -1; // body bytes still to skip; -1 = reading a head
    const send = () => {
      if (!stop) sock.write(request);
    };
    const complete = () => {
      body = -1;
      done++;
      send();
    };
    sock.on('connect', send);
    sock.on('data', (chunk) => {
      let at = 0;
      while (at < chunk.length) {
        if (body >= 0) {
          const n = Math.min(body, chunk.length - at);
          body -= n;
          at += n;
          if (body === 0) complete();
          continue;
        }
        const data = buf ? Buffer.concat([buf, chunk.subarray(at)]) : chunk.subarray(at);
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) {
          buf = Buffer.from(data);
          return;
        }
        buf = null;
        const head = data.toString('latin1', 0, end);
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (!head.startsWith('HTTP/1.1 200') || !m) failed++;
        body = m ? Number(m[1]) : 0;
        chunk = data;
        at = end + 4;
        if (body === 0) complete();
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (!stop) open();
    });
  };
  return new Promise((resolve) => {
    const t0 = performance.now();
    for (let i = 0; i < s.connections; i++) open();
    setTimeout(() => {
      stop = true;
      const ms = performance.now() - t0;
      for (const sock of sockets) sock.destroy();
      resolve({ rps: (done * 1000) / ms, failed });
    }, s.durationMs);
  });
}

process.once('message', async (s) => {
  const out = s.kind === 'rps' ? await rps(s) : await downloads(s);
  process.send({ event: 'result', result: out }, () => process.exit(0));
});
