import { createHash } from 'node:crypto';
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
