import { createHash } from 'node:crypto';
import { debuglog } from 'node:util';
import { OptionError } from '../errors';

/** The part of a node-redis (v5+) client or cluster the store uses. */
export interface NodeRedisLike {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** The part of an ioredis client or cluster the store uses. */
export interface IoRedisLike {
  evalsha(sha1: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

/** A node-redis or ioredis client (or cluster), as the user configured it. */
export type RedisClientLike = NodeRedisLike | IoRedisLike;

/** Runs one Lua script by its SHA1, loading it on demand. */
export interface ScriptRunner {
  readonly flavour: 'node-redis' | 'ioredis';
  run(keys: string[], args: string[]): Promise<unknown>;
}

/**
 * Hide the difference between node-redis and ioredis behind `run(keys, args)`.
 *
 * The script goes by `EVALSHA`; a server that does not know it (first call, restart,
 * failover, `SCRIPT FLUSH`) answers `NOSCRIPT`, and then one `EVAL` both runs and caches it.
 * `EVAL` is routed by its keys like `EVALSHA`, so this also works on a cluster client.
 */
export function scriptRunner(client: unknown, script: string): ScriptRunner {
  const sha = createHash('sha1').update(script).digest('hex');
  if (isNodeRedis(client)) {
    return {
      flavour: 'node-redis',
      run: (keys, args) =>
        client.evalSha(sha, { keys, arguments: args }).catch((err: unknown) => {
          if (!isNoScript(err)) throw err;
          return client.eval(script, { keys, arguments: args });
        }),
    };
  }
  if (isIoRedis(client)) {
    return {
      flavour: 'ioredis',
      run: (keys, args) =>
        client.evalsha(sha, keys.length, ...keys, ...args).catch((err: unknown) => {
          if (!isNoScript(err)) throw err;
          return client.eval(script, keys.length, ...keys, ...args);
        }),
    };
  }
  throw new OptionError('client', 'a node-redis (v5+) or ioredis client', client);
}

function isNodeRedis(c: unknown): c is NodeRedisLike {
  return typeof c === 'object' && c !== null && typeof (c as { evalSha?: unknown }).evalSha === 'function';
}

function isIoRedis(c: unknown): c is IoRedisLike {
  return typeof c === 'object' && c !== null && typeof (c as { evalsha?: unknown }).evalsha === 'function';
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/** A client made by {@link connectRedis}, and how to close it. */
export interface ConnectedRedis {
  readonly client: RedisClientLike;
  readonly flavour: 'node-redis' | 'ioredis';
  close(): Promise<void>;
}

/**
 * Make a client for the Redis store from a URL, the way docs/redis.md recommends: offline queue
 * off, reconnecting on its own, errors to `NODE_DEBUG=koa-bandwidth` (the store reports outages
 * itself). Uses node-redis (`redis`) if installed, else ioredis. Waits at most `connectMs` for
 * the first connection: a server that starts while Redis is down runs on the store's fallback
 * and joins the fleet when Redis comes up. For `koa-bandwidth serve --redis URL`.
 *
 * @example
 * ```ts
 * const redis = await connectRedis('redis://127.0.0.1:6379');
 * app.use(bandwidth({ conf: './conf', store: redisStore({ client: redis.client }) }));
 * ```
 */
export async function connectRedis(url: string, opts: { prefer?: 'node-redis' | 'ioredis'; connectMs?: number } = {}): Promise<ConnectedRedis> {
  const connectMs = opts.connectMs ?? 2000;
  const order = opts.prefer === 'ioredis' ? [connectIoRedis, connectNodeRedis] : [connectNodeRedis, connectIoRedis];
  for (const connect of order) {
    const made = await connect(url, connectMs).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'MODULE_NOT_FOUND' || (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
      throw err;
    });
    if (made) return made;
  }
  throw new OptionError('redis', 'usable: install `redis` (v5+) or `ioredis`', url);
}

async function connectNodeRedis(url: string, connectMs: number): Promise<ConnectedRedis> {
  const { createClient } = await import('redis');
  const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: reconnectDelay } });
  client.on('error', (err: unknown) => debugRedis('node-redis: %s', err instanceof Error ? err.message : err));
  const connected = client.connect().then(
    () => undefined,
    (err: unknown) => debugRedis('node-redis connect: %s', err instanceof Error ? err.message : err),
  );
  await Promise.race([connected, delay(connectMs)]);
  return {
    client: client as unknown as NodeRedisLike,
    flavour: 'node-redis',
    close: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}

async function connectIoRedis(url: string, connectMs: number): Promise<ConnectedRedis> {
  const { Redis } = await import('ioredis');
  // disconnectTimeout: ioredis arms a ref'd timer of this length on disconnect() when the
  // socket is already gone, which would hold the process open for 2 s by default.
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: reconnectDelay, disconnectTimeout: 100 });
  client.on('error', (err: unknown) => debugRedis('ioredis: %s', err instanceof Error ? err.message : err));
  await Promise.race([new Promise((resolve) => client.once('ready', resolve)), delay(connectMs)]);
  return {
    client: client as unknown as IoRedisLike,
    flavour: 'ioredis',
    close: async () => {
      client.disconnect();
    },
  };
}

const debugRedis = debuglog('koa-bandwidth');

/**
 * Reconnect soon, and at least every 500 ms: by default node-redis backs off to 2 s and ioredis
 * to 5 s between attempts, so after a long outage the fleet would share the cap again only
 * that long after Redis came back (docs/redis.md: within 2 s).
 */
function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** attempt, 500);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
