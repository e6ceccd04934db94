/**
 * `koa-bandwidth/internals`: the engine's parts, for tools and tests built on them. No
 * stability promise: these may change in any release (docs/internals.md). Apps use the main
 * entry.
 */

// The per-request state and the runtime shared by one bandwidth() instance.
export { BandwidthState } from './middleware';
export type { BandwidthRuntime } from './runtime';
export { sessionKey } from './session-key';

// Configuration, amounts and plan resolution (pure).
export { loadConfigDir } from './config/load-config-dir';
export { normalizeConfig } from './config/normalize-config';
export { readRate, readDuration, readPercent } from './config/amount';
export { resolvePlan, withEncodingRate, DEFAULT_LIMITS } from './policy/resolve-plan';
export type { RouteOverride, QueryLimits } from './policy/resolve-plan';

// Media probing.
export { mediaKind, type MediaKind } from './media/media-kind';
export { probeFile, defaultProbeCache, type ProbeFileOptions } from './media/probe-file';
export { probeBuffer } from './media/probe-buffer';
export { ProbeCache } from './media/probe-cache';
export { DEFAULT_MAX_HEADER_BYTES, type ProbeOptions } from './media/probe-media';

// The metering engine and its pure cores.
export { createEngine } from './meter/engine';
export type { Engine, EngineOptions, MeterInput } from './meter/engine';
export type { SessionKey, Timers } from './meter/flow';
export { exemptForRange } from './meter/exempt-for-range';
export { waterFill } from './meter/water-fill';
export { TokenBucket } from './meter/token-bucket';
export { RedisStore } from './store/redis-store';
