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
export { mediaKind, type MediaKind } from './media/media-kind';
export { probeFile, defaultProbeCache, type ProbeFileOptions } from './media/probe-file';
export { probeBuffer } from './media/probe-buffer';
export { ProbeCache } from './media/probe-cache';
export { DEFAULT_MAX_HEADER_BYTES, type ProbeOptions } from './media/probe-media';
export { bandwidth, BandwidthState } from './middleware';
export type { BandwidthMiddleware } from './middleware';
export type { BandwidthRuntime } from './runtime';
export { route } from './route';
export type { RouteOptions } from './route';
export type { BandwidthOptions, Logger } from './options';
export type { ConfigInput, VhostInput, VhostOptionsInput, BandwidthConfig, VhostConfig } from './config/config-model';
export { loadConfigDir } from './config/load-config-dir';
export { normalizeConfig } from './config/normalize-config';
export { resolvePlan, withEncodingRate, DEFAULT_LIMITS } from './policy/resolve-plan';
export type { RouteOverride, QueryLimits } from './policy/resolve-plan';
export { redisStore, RedisStore } from './store/redis-store';
export type { RedisStoreOptions, RedisStoreLogger, RedisStoreState } from './store/redis-store';
export { connectRedis } from './store/redis-client';
export type { RedisClientLike, NodeRedisLike, IoRedisLike, ConnectedRedis } from './store/redis-client';
export { createEngine } from './meter/engine';
export type { Engine, EngineOptions, MeterInput } from './meter/engine';
export type { SessionKey, Timers } from './meter/flow';
export { exemptForRange } from './meter/exempt-for-range';
export { waterFill } from './meter/water-fill';
export { TokenBucket } from './meter/token-bucket';
export { memoryStore } from './store/memory-store';
export type { MemoryStoreOptions } from './store/memory-store';
export { sessionKey } from './session-key';
export type { SessionMode } from './session-key';
