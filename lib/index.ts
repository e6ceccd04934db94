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

// The middleware, per-route overrides and their options.
export { bandwidth, BandwidthState } from './middleware';
export type { BandwidthMiddleware, BandwidthChange } from './middleware';
export type { ClientAddress } from './policy/trusted-proxies';
export type { BandwidthRuntime } from './runtime';
export { route } from './route';
export type { RouteOptions } from './route';
export type { BandwidthOptions, Logger } from './options';
export { sessionKey, viewerSessionKey } from './session-key';
export type { SessionMode } from './session-key';

// Errors and the shared data model.
export { ConfigError, ConfigErrors, OptionError } from './errors';
export type * from './types';

// Configuration and plan resolution (pure).
export type { ConfigInput, VhostInput, VhostOptionsInput, BandwidthConfig, VhostConfig, TrustedProxiesInput } from './config/config-model';
export { loadConfigDir } from './config/load-config-dir';
export { normalizeConfig } from './config/normalize-config';
export { resolvePlan, withEncodingRate, DEFAULT_LIMITS } from './policy/resolve-plan';
export type { RouteOverride, QueryLimits } from './policy/resolve-plan';

// HLS and DASH (docs/segmented.md): the viewer key and the playlist parsers.
export { viewerKey, cmcdSid } from './segmented/viewer-key';
export type { ViewerKeyOptions, ViewerSource } from './segmented/viewer-key';
export { parseM3u8 } from './segmented/parse-m3u8';
export type { M3u8, HlsVariant } from './segmented/parse-m3u8';
export { parseMpd } from './segmented/parse-mpd';
export type { MpdTrack, TimelineRun } from './segmented/parse-mpd';

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

// Cap stores: in memory (the default) and Redis (fleets).
export { memoryStore } from './store/memory-store';
export type { MemoryStoreOptions } from './store/memory-store';
export { redisStore, RedisStore } from './store/redis-store';
export type { RedisStoreOptions, RedisStoreLogger, RedisStoreState } from './store/redis-store';
export { connectRedis } from './store/redis-client';
export type { RedisClientLike, NodeRedisLike, IoRedisLike, ConnectedRedis } from './store/redis-client';

// Observability.
export { statsEndpoints } from './observe/stats-endpoints';
export type { StatsEndpoints, StatsEndpointsOptions } from './observe/stats-endpoints';
export { prometheusMetrics } from './observe/prometheus-metrics';
export type { PrometheusOptions, MetricsSource } from './observe/prometheus-metrics';
export { RESPONSE_CHANNEL } from './observe/response-channel';
export type { ResponseRecord, RecordPlan } from './observe/response-record';
export { UNMATCHED } from './runtime';

// ---- WebRTC: the plan in session descriptions (docs/webrtc.md) ----
export { webrtcBandwidth } from './webrtc/webrtc-bandwidth';
export type { WebrtcBandwidthOptions, WebrtcBandwidthState } from './webrtc/webrtc-bandwidth';
export { shapeSdp, setSdpBandwidth } from './webrtc/set-sdp-bandwidth';
export type { ShapedSdp, SectionParameters } from './webrtc/set-sdp-bandwidth';
export { RTCP_RFC3550 } from './webrtc/sdp-plan';
export type { SdpBandwidthPlan } from './webrtc/sdp-plan';
export { callPlan } from './webrtc/call-plan';
export { SdpError } from './webrtc/sdp-error';
export type { SdpErrorReason } from './webrtc/sdp-error';
// ---- end WebRTC ----
