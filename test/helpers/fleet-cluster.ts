import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer, type RedisFlavour, type RedisServer } from './redis-server';

const root = path.join(__dirname, '..', '..');

/** A worker's store changed state (bench/fleet.js forwards the store's `state` event). */
export interface FleetStateEvent {
  pid: number;
  degraded: boolean;
  reason?: string;
  /** Epoch ms (performance.timeOrigin + performance.now() in the worker). */
  t: number;
}

/** bench/fleet.js running as a node:cluster primary with its workers, each on its own port. */
export interface Fleet {
  /** Worker ports, in the order the workers came up. */
  readonly ports: number[];
  /** PIDs: the primary first, then the workers. */
  readonly pids: number[];
  readonly states: FleetStateEvent[];
  /** SIGTERM the primary (it stops its workers), then SIGKILL every PID still alive. */
  stop(): Promise<void>;
}

/**
 * `npm test` builds first; a targeted `npx jest test/fleet` may find dist/ missing or older
 * than lib/, so build it then (under a lock: two fleet test files may ask at once).
 */
export function ensureBuilt(): void {
  const entry = path.join(root, 'dist', 'lib', 'index.js');
  const lock = path.join(root, '.tmp', 'fleet-build.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`stale lock ${lock}`);
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    if (fs.existsSync(entry) && newestSource(path.join(root, 'lib')) <= fs.statSync(entry).mtimeMs) return;
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
  } finally {
    fs.rmdirSync(lock);
  }
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Start bench/fleet.js with `workers` workers serving `media`, and wait until all listen. */
export async function startFleet(opts: { redisUrl: string; flavour: RedisFlavour; workers: number; media: string; capMbps: number; redisTimeoutMs?: number }): Promise<Fleet> {
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'bench', 'fleet.js')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      REDIS_URL: opts.redisUrl,
      REDIS_CLIENT: opts.flavour === 'ioredis' ? 'ioredis' : 'redis',
      WORKERS: String(opts.workers),
      PORT: '0',
      MEDIA: opts.media,
      CAP_MBPS: String(opts.capMbps),
      ...(opts.redisTimeoutMs === undefined ? {} : { REDIS_TIMEOUT_MS: String(opts.redisTimeoutMs) }),
    },
  });
  const ports: number[] = [];
  const pids: number[] = [child.pid ?? 0];
  const states: FleetStateEvent[] = [];
  let buf = '';
  let ready!: () => void;
  const listening = new Promise<void>((resolve) => (ready = resolve));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl)) as { type: string; pid: number; port?: number } & FleetStateEvent;
      buf = buf.slice(nl + 1);
      if (msg.type === 'listening') {
        ports.push(msg.port ?? 0);
        pids.push(msg.pid);
        if (ports.length === opts.workers) ready();
      } else if (msg.type === 'state') states.push({ pid: msg.pid, degraded: msg.degraded, reason: msg.reason, t: msg.t });
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000).unref())]);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('fleet did not start within 20 s')), 20_000).unref());
  try {
    await Promise.race([listening, timeout, exited.then(() => Promise.reject(new Error('fleet primary exited')))]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, pids, states, stop };
}

/**
 * The lifecycle both fleet suites share, registered in the calling `describe`: a built
 * package, a real redis-server, an 8 MB file that no download can finish during a run (even
 * one alone at the full cap), and the fleet and its downloads stopped after each test, on
 * failure too.
 */
export function fleetFixture(capMbps: number, opts: { redisTimeoutMs?: number } = {}): {
  readonly server: RedisServer;
  /** Three workers on this Redis, with a fresh lease hash for the `media` vhost. */
  start(flavour: RedisFlavour): Promise<Fleet>;
  /** Stop these downloads after the test. */
  track(abort: () => void): void;
} {
  let server: RedisServer | undefined;
  let media: string | undefined;
  let fleet: Fleet | undefined;
  let abort: (() => void) | undefined;

  beforeAll(async () => {
    ensureBuilt();
    server = await startRedisServer();
    media = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-'));
    fs.writeFileSync(path.join(media, 'big.bin'), Buffer.alloc(8 * 1024 * 1024, 7));
  }, 180_000);

  afterEach(async () => {
    abort?.();
    abort = undefined;
    await fleet?.stop();
    fleet = undefined;
  });

  afterAll(async () => {
    await server?.stop();
    if (media) fs.rmSync(media, { recursive: true, force: true });
  });

  return {
    get server() {
      if (!server) throw new Error('fleetFixture: the redis-server is not started yet');
      return server;
    },
    async start(flavour) {
      const s = this.server;
      await s.command('DEL', '{kb:media}:lease');
      fleet = await startFleet({ redisUrl: s.url, flavour, workers: 3, media: media as string, capMbps, redisTimeoutMs: opts.redisTimeoutMs });
      return fleet;
    },
    track(stop) {
      abort = stop;
    },
  };
}
