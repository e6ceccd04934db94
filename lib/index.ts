/**
 * koa-bandwidth: bandwidth control for Koa media servers.
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { bandwidth } from 'koa-bandwidth';
 * const app = new Koa();
 * app.use(bandwidth({ conf: './conf' }));
 * ```
 */
export { ConfigError, ConfigErrors, OptionError } from './errors';
export type * from './types';
export { redisStore, RedisStore } from './store/redis-store';
export type { RedisStoreOptions, RedisStoreLogger, RedisStoreState } from './store/redis-store';
export { connectRedis } from './store/redis-client';
export type { RedisClientLike, NodeRedisLike, IoRedisLike, ConnectedRedis } from './store/redis-client';
