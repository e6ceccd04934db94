import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './system';

/** A redis-server this test started on 127.0.0.1, with no persistence. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** PID of the current server process. */
  readonly pid: number;
  /** SIGSTOP: the server keeps its sockets open but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
  /** Start a fresh server on the same port (empty data, empty script cache). */
  restart(): Promise<void>;
  /** Send one command on a fresh connection and return the raw reply text. */
  command(...args: string[]): Promise<string>;
  /** Calls of each named command so far (`INFO commandstats`), summed. */
  calls(...commands: string[]): Promise<number>;
  /** Stop it (SIGCONT first, in case it is paused). */
  stop(): Promise<void>;
}

/** Start `redis-server` on a free loopback port and wait until it answers PING. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child = await launch(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid ?? 0;
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    kill: () => killAndWait(child),
    async restart() {
      await killAndWait(child);
      child = await launch(port);
    },
    command: (...args) => command(port, args),
    async calls(...commands) {
      const info = await command(port, ['INFO', 'commandstats']);
      let n = 0;
      for (const c of commands) {
        const m = new RegExp(`^cmdstat_${c.toLowerCase()}:calls=(\\d+)`, 'm').exec(info);
        n += m ? Number(m[1]) : 0;
      }
      return n;
    },
    async stop() {
      child.kill('SIGCONT');
      await killAndWait(child, 'SIGTERM');
    },
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    try {
      if ((await command(port, ['PING'])).startsWith('+PONG')) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('redis-server did not start within 10 s');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** A minimal RESP client: one command, one reply, then close. Enough for PING and INFO. */
function command(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('redis command timed out'));
    }, 2000);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    sock.on('data', (d: string) => {
      buf += d;
      if (complete(buf)) {
        clearTimeout(timer);
        sock.end();
        resolve(buf);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function complete(reply: string): boolean {
  if (reply[0] !== '$') return reply.endsWith('\r\n');
  const nl = reply.indexOf('\r\n');
  if (nl < 0) return false;
  const len = Number(reply.slice(1, nl));
  return len < 0 || Buffer.byteLength(reply) >= nl + 2 + len + 2;
}

/** Which client library a test runs the store on. */
export type RedisFlavour = 'node-redis' | 'ioredis';
export const REDIS_FLAVOURS: RedisFlavour[] = ['node-redis', 'ioredis'];

/** A connected client, set up as docs/redis.md recommends: offline queue off, quick reconnects. */
export interface TestClient {
  readonly client: unknown;
  close(): Promise<void>;
}

export async function connectClient(flavour: RedisFlavour, port: number): Promise<TestClient> {
  if (flavour === 'node-redis') {
    const { createClient } = await import('redis');
    const client = createClient({
      socket: { host: '127.0.0.1', port, connectTimeout: 1000, reconnectStrategy: (n: number) => Math.min(50 * (n + 1), 300) },
      disableOfflineQueue: true,
    });
    client.on('error', () => {});
    await client.connect();
    return {
      client,
      close: async () => {
        if (client.isOpen) client.destroy();
      },
    };
  }
  const { Redis } = await import('ioredis');
  const client = new Redis({
    host: '127.0.0.1',
    port,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    disconnectTimeout: 100,
    retryStrategy: (n: number) => Math.min(50 * n, 300),
  });
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    setTimeout(() => reject(new Error('ioredis did not connect')), 5000).unref();
  });
  return {
    client,
    close: async () => {
      client.disconnect();
    },
  };
}

/** Something with the CapStore lease signature. */
interface Leaser {
  lease(vhost: string, cap: number, want: number, sessions: number): number | Promise<number>;
}

/** A simulated saturated process: it takes every byte a store grants, as fast as granted. */
export interface Consumer {
  /** `[performance.now(), bytes]` per grant. */
  readonly grants: Array<[number, number]>;
  /** How long each `lease()` took to settle, ms. */
  readonly latencies: number[];
  /** Set to change the session count reported from now on. */
  sessions: number;
  stop(): Promise<void>;
  /** Bytes granted in `[from, to)` (performance.now() ms). */
  bytes(from: number, to: number): number;
}

/**
 * Lease `want` bytes at a time (default 20 ms of the cap, as a meter asking ahead would),
 * and after a zero grant wait 5 ms before asking again.
 */
export function saturate(store: Leaser, vhost: string, cap: number, sessions: number, want = Math.ceil(cap * 0.02)): Consumer {
  let running = true;
  const c: Consumer = {
    grants: [],
    latencies: [],
    sessions,
    stop: async () => {
      running = false;
      await loop;
    },
    bytes: (from, to) => c.grants.reduce((sum, [t, b]) => (t >= from && t < to ? sum + b : sum), 0),
  };
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      const g = await store.lease(vhost, cap, want, c.sessions);
      const t1 = performance.now();
      c.latencies.push(t1 - t0);
      if (g > 0) {
        c.grants.push([t1, g]);
        await new Promise((r) => setImmediate(r)); // like a meter writing to a socket
      } else await sleep(5);
    }
  })();
  return c;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A loopback port with nothing listening on it (a free port, not bound by anyone). */
export const freeDeadPort = freePort;

/** A three-master Redis Cluster on loopback (no replicas), for hash-tag routing tests. */
export interface RedisClusterServer {
  readonly ports: number[];
  /** Calls of the named commands, summed over every node. */
  calls(...commands: string[]): Promise<number>;
  stop(): Promise<void>;
}

export async function startRedisCluster(dir: string): Promise<RedisClusterServer> {
  const ports: number[] = [];
  while (ports.length < 3) {
    const p = await freePort();
    // The cluster bus listens on port + 10000.
    if (p < 55_000 && !ports.includes(p) && (await isFree(p + 10_000))) ports.push(p);
  }
  const children = ports.map((port) =>
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(children.map((c) => killAndWait(c, 'SIGTERM')));
  };
  try {
    for (const port of ports) await waitFor(async () => (await command(port, ['PING'])).startsWith('+PONG'));
    const create = spawn('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => create.on('exit', resolve));
    if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${code}`);
    for (const port of ports) await waitFor(async () => (await command(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ports,
    async calls(...commands) {
      let n = 0;
      for (const port of ports) {
        const info = await command(port, ['INFO', 'commandstats']);
        for (const c of commands) n += Number(new RegExp(`^cmdstat_${c}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
      }
      return n;
    },
    stop,
  };
}

async function waitFor(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('redis cluster did not come up');
    await sleep(50);
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
