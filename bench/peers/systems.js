'use strict';
// The four systems under test. Each case starts a fresh server with the case's limits
// and stops it afterwards: {rateBps, boostSeconds, sharedCapBps} (0 = none).
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { setTimeout: delay } = require('node:timers/promises');

const ROOT = path.resolve(__dirname, '..', '..');
const FD_LIMIT = 65536; // 10,000 sessions need a socket and a file each

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, stderr, timeoutMs = 20_000) {
  const giveUp = Date.now() + timeoutMs;
  while (Date.now() < giveUp) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}): ${stderr().slice(-800)}`);
    }
    const ok = await new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => { sock.destroy(); resolve(true); });
      sock.on('error', () => resolve(false));
    });
    if (ok) return;
    await delay(50);
  }
  throw new Error(`server did not listen on ${port} in ${timeoutMs} ms: ${stderr().slice(-800)}`);
}

/** Spawn under a raised fd limit (we run as root here; otherwise the hard limit applies). */
async function launch(argv, port, opts = {}) {
  const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  const child = spawn('bash', ['-c', script, 'bash', ...argv], {
    cwd: opts.cwd ?? ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let err = '';
  child.stderr.on('data', (c) => { err = (err + c).slice(-4000); });
  await waitForPort(port, child, () => err);
  return {
    pid: child.pid,
    port,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(opts.stopSignal ?? 'SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), delay(8000).then(() => true)]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

function tmpDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

// --- koa-bandwidth: `serve` with a generated config dir (docs/spec.md §1–2, §7) ---

function koaBandwidthConf(c) {
  const dir = tmpDir('peers-kbw-conf-');
  const capMbps = c.sharedCapBps > 0 ? (c.sharedCapBps * 8) / 1e6 : 0;
  const bt = c.rateBps > 0;
  fs.writeFileSync(path.join(dir, 'server.xml'), `<Server><VHostDefault><Options>
  <TrafficCap Session="0">${capMbps}</TrafficCap>
  <BandwidthThrottling>
    <Settings><Bandwidth Unit="kbps">1000</Bandwidth><Ratio>100</Ratio><Boost>0</Boost></Settings>
    <Throttling>${bt ? 'ON' : 'OFF'}</Throttling>
  </BandwidthThrottling>
</Options></VHostDefault></Server>
`);
  fs.writeFileSync(path.join(dir, 'vhosts.xml'), `<Vhosts>
  <Vhost Name="bench"></Vhost>
  <Default>bench</Default>
</Vhosts>
`);
  fs.mkdirSync(path.join(dir, 'svc', 'bench'), { recursive: true });
  const rule = bt ? `*, ${(c.rateBps * 8) / 1000}, 100, ${c.boostSeconds}\n` : '';
  fs.writeFileSync(path.join(dir, 'svc', 'bench', 'throttling.txt'), rule);
  return dir;
}

async function startKoaBandwidth(c, media, extra = {}) {
  const port = await freePort();
  const conf = koaBandwidthConf(c);
  const node = [process.execPath];
  if (extra.profileDir) {
    node.push('--cpu-prof', '--cpu-prof-dir', extra.profileDir, '-r', path.join(__dirname, 'exit-on-signal.js'));
  }
  const argv = koaBandwidthMode() === 'serve'
    ? [...node, path.join(ROOT, 'bin', 'koa-bandwidth.js'), 'serve', '--conf', conf, '--media', media,
        '--port', String(port), '--host', '127.0.0.1']
    : [...node, path.join(__dirname, 'peer-server.js'),
        JSON.stringify({ port, media, lib: 'koa-bandwidth', conf, rateBps: 0, sharedCapBps: 0 })];
  const srv = await launch(argv, port);
  const stop = srv.stop;
  srv.stop = async () => { await stop(); fs.rmSync(conf, { recursive: true, force: true }); };
  return srv;
}

// --- nginx: limit_rate + limit_rate_after per response; no shared cap per vhost ---

function nginxConf(c, media, port, prefix) {
  const limits = c.rateBps > 0
    ? `limit_rate ${Math.round(c.rateBps)};\n      limit_rate_after ${Math.round(c.rateBps * c.boostSeconds)};`
    : '';
  const user = process.getuid && process.getuid() === 0 ? 'user root;' : '';
  return `${user}
worker_processes 1;
worker_rlimit_nofile ${FD_LIMIT};
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 20000; multi_accept on; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    root ${media};
    location / {
      ${limits}
    }
  }
}
`;
}

async function startNginx(c, media) {
  const port = await freePort();
  const prefix = tmpDir('peers-nginx-');
  const confFile = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(confFile, nginxConf(c, media, port, prefix));
  const srv = await launch([nginxBinary(), '-p', prefix, '-c', confFile, '-e', path.join(prefix, 'error.log')], port, {
    stopSignal: 'SIGTERM',
  });
  const stop = srv.stop;
  srv.stop = async () => { await stop(); fs.rmSync(prefix, { recursive: true, force: true }); };
  return srv;
}

function nginxBinary() {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    if (fs.existsSync(p)) return p;
  }
  return 'nginx';
}

function nginxVersion() {
  // `nginx -v` prints to stderr
  const r = spawnSync(nginxBinary(), ['-v'], { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return text ? text.replace(/^nginx version:\s*/, '') : null;
}

// --- Koa + npm throttle streams ---

async function startPeer(lib, c, media) {
  const port = await freePort();
  const conf = { port, media, lib, rateBps: c.rateBps, sharedCapBps: c.sharedCapBps };
  return launch([process.execPath, path.join(__dirname, 'peer-server.js'), JSON.stringify(conf)], port);
}

/** The reference floor (floor-server.js): bare Node at koa-bandwidth's write pace. */
async function startFloor(c, media) {
  if (!(c.rateBps > 0)) throw new Error('the floor reference only runs rate-limited workloads');
  const port = await freePort();
  return launch([process.execPath, path.join(__dirname, 'floor-server.js'), JSON.stringify({ port, media, rateBps: c.rateBps })], port);
}

const FLOOR = { name: 'node-floor', canShareCap: false, hasBoost: false, start: startFloor };

/** The systems in run order. `canShareCap`: can the system express one cap over all sessions? */
const SYSTEMS = [
  { name: 'koa-bandwidth', canShareCap: true, hasBoost: true, start: startKoaBandwidth },
  { name: 'nginx', canShareCap: false, hasBoost: true, start: startNginx },
  { name: 'stream-throttle', canShareCap: true, hasBoost: false, start: (c, m) => startPeer('stream-throttle', c, m) },
  { name: 'throttle', canShareCap: false, hasBoost: false, start: (c, m) => startPeer('throttle', c, m) },
];

/**
 * How koa-bandwidth is run: 'serve' (the CLI, docs/spec.md §7) once it is built; else 'library'
 * (its middleware in the same Koa file server as the npm peers); else null (not built).
 */
function koaBandwidthMode() {
  if (fs.existsSync(path.join(ROOT, 'dist', 'lib', 'cli', 'serve.js'))) return 'serve';
  if (fs.existsSync(path.join(ROOT, 'dist', 'lib', 'index.js'))) return 'library';
  return null;
}

function koaBandwidthAvailable() {
  return koaBandwidthMode() !== null;
}

module.exports = { SYSTEMS, FLOOR, ROOT, koaBandwidthAvailable, koaBandwidthMode, nginxBinary, nginxVersion, tmpDir };
