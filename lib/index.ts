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
