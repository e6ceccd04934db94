'use strict';
// Koa + an npm throttle package, serving files of a media dir at /<name>.
// argv[2] is a JSON config: {port, media, lib: 'stream-throttle'|'throttle'|'koa-bandwidth',
// rateBps (per response, 0 = none), sharedCapBps (0 = none), conf (koa-bandwidth's config dir)}.
// 'koa-bandwidth' mounts the built package (dist/) in front of the same file server: the
// fallback while `koa-bandwidth serve` is not built.
const fs = require('node:fs');
const path = require('node:path');
const { pipeline } = require('node:stream');
const Koa = require('koa');

const conf = JSON.parse(process.argv[2]);
const app = new Koa();

let group = null;
if (conf.sharedCapBps > 0) {
  if (conf.lib === 'throttle') throw new Error(`${conf.lib} cannot express a shared cap`);
  const { ThrottleGroup } = require('stream-throttle');
  group = new ThrottleGroup({ rate: conf.sharedCapBps });
}

if (conf.lib === 'koa-bandwidth') {
  // The package's public entry, built: plan (docs/spec.md §3) and metering (docs/spec.md §5) in one middleware.
  const { bandwidth } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
  app.use(bandwidth({ conf: conf.conf, watch: false }));
}

function throttleStream() {
  if (conf.lib === 'koa-bandwidth') return null;
  if (group) return group.throttle();
  if (!(conf.rateBps > 0)) return null;
  if (conf.lib === 'stream-throttle') {
    const { Throttle } = require('stream-throttle');
    return new Throttle({ rate: conf.rateBps });
  }
  const Throttle = require('throttle');
  return new Throttle(conf.rateBps);
}

app.on('error', (err) => {
  if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE' && err.code !== 'ECONNRESET') console.error(err);
});

app.use(async function serveFile(ctx) {
  const name = path.basename(ctx.path);
  const file = path.join(conf.media, name);
  let st;
  try {
    st = await fs.promises.stat(file);
  } catch {
    ctx.status = 404;
    return;
  }
  ctx.type = 'application/octet-stream';
  const source = fs.createReadStream(file);
  const throttle = throttleStream();
  ctx.body = throttle ? pipeline(source, throttle, () => {}) : source;
  ctx.length = st.size;
});

const server = app.listen(conf.port, '127.0.0.1', 4096, () => {
  if (process.send) process.send({ listening: conf.port });
});
server.keepAliveTimeout = 60_000;
process.on('SIGTERM', () => process.exit(0));
