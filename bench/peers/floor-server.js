'use strict';
// A reference, not a system under test: the least a Node HTTP server can do to send files at a
// fixed slow rate on koa-bandwidth's write pace (32 KiB, or every 4 s at the latest: see
// lib/meter/flow.ts SOLO_PACE). No Koa, no scheduler, no accounting: one setInterval per
// response that reads the next slice with fs.read and writes it. Its CPU per GB shows how much
// of koa-bandwidth's cost is Node's own per-write cost (docs/benchmarks.md).
// argv[2] is a JSON config: {port, media, rateBps}.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const conf = JSON.parse(process.argv[2]);
const MIN_WRITE = 32 * 1024;
const periodMs = Math.min(4000, Math.max(250, (MIN_WRITE / conf.rateBps) * 1000));
const slice = Math.round((conf.rateBps * periodMs) / 1000);
const fds = new Map();

const server = http.createServer((req, res) => {
  const file = path.join(conf.media, path.basename(req.url.split('?')[0]));
  let fd = fds.get(file);
  try {
    if (fd === undefined) fds.set(file, (fd = fs.openSync(file, 'r')));
  } catch {
    res.writeHead(404).end();
    return;
  }
  const size = fs.fstatSync(fd).size;
  // `Range: bytes=N-` (the viewers workloads start at random offsets).
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  let pos = m ? Math.min(Number(m[1]), size) : 0;
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(size - pos) };
  if (m) headers['content-range'] = `bytes ${pos}-${size - 1}/${size}`;
  res.writeHead(m ? 206 : 200, headers);
  const tick = () => {
    if (res.writableNeedDrain) return;
    const n = Math.min(slice, size - pos);
    if (n <= 0) {
      clearInterval(timer);
      res.end();
      return;
    }
    const buf = Buffer.allocUnsafe(n);
    fs.read(fd, buf, 0, n, pos, (err, got) => {
      if (err || res.destroyed) return;
      pos += got;
      res.write(got === n ? buf : buf.subarray(0, got));
    });
  };
  const timer = setInterval(tick, periodMs);
  tick();
  res.on('close', () => clearInterval(timer));
});
server.keepAliveTimeout = 60_000;
server.listen(conf.port, '127.0.0.1', 4096);
process.on('SIGTERM', () => process.exit(0));
