/**
 * koa-bandwidth: bandwidth control for Koa media servers. This entry is the public API;
 * the engine's parts (plan resolution, the media probe, the meter's cores) are at
 * `koa-bandwidth/internals`, with no stability promise (docs/internals.md).
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { bandwidth } from 'koa-bandwidth';
 * const app = new Koa();
 * app.use(bandwidth({ rate: '2mbps', boost: '5s' }));
 * ```
 */

// The middleware, per-route overrides and their options.
export { bandwidth } from './middleware';
export type { BandwidthMiddleware, BandwidthState } from './middleware';
export type { BandwidthEvents, BandwidthEventEmitter, BandwidthListener } from './events';
export type { BandwidthChange } from './middleware';
export type { ClientAddress } from './policy/trusted-proxies';
export { route } from './route';
export type { RouteOptions, RouteBandwidth, RouteFactoryOptions } from './route';
export type { BandwidthOptions, Logger } from './options';
export type { ShorthandOptions } from './shorthand-config';
export { viewerSessionKey } from './session-key';
export type { SessionMode } from './session-key';
export type { Rate, RateString, RateUnit, Duration, DurationString, DurationUnit, Percent } from './config/amount';

// Errors, warnings and the shared data model.
export { ConfigError, ConfigErrors, OptionError } from './errors';
export { ConfigWarning } from './config/config-warning';
export type { WarningCode } from './config/config-warning';
export type * from './types';
export type { ConfigInput, VhostInput, VhostOptionsInput, BandwidthConfig, VhostConfig, TrustedProxiesInput } from './config/config-model';
export type { GeoIp } from './policy/match-context';

// HLS and DASH (docs/segmented.md): the viewer key and the playlist parsers.
export { viewerKey, cmcdSid } from './segmented/viewer-key';
export type { ViewerKeyOptions, ViewerSource } from './segmented/viewer-key';
export { parseM3u8 } from './segmented/parse-m3u8';
export type { M3u8, HlsVariant } from './segmented/parse-m3u8';
export { parseMpd } from './segmented/parse-mpd';
export type { MpdTrack, TimelineRun } from './segmented/parse-mpd';

// Cap stores: in memory (the default) and Redis (fleets).
export { memoryStore } from './store/memory-store';
export type { MemoryStoreOptions } from './store/memory-store';
export { redisStore } from './store/redis-store';
export type { RedisStore, RedisStoreOptions, RedisStoreLogger, RedisStoreState } from './store/redis-store';
export { connectRedis } from './store/redis-client';
export type { RedisClientLike, NodeRedisLike, IoRedisLike, ConnectedRedis } from './store/redis-client';

// Observability.
export { statsEndpoints } from './observe/stats-endpoints';
export type { StatsEndpoints, StatsEndpointsOptions } from './observe/stats-endpoints';
export { prometheusMetrics } from './observe/prometheus-metrics';
export type { PrometheusOptions, MetricsSource } from './observe/prometheus-metrics';
export type { PromRegistry } from './observe/prom-client-like';
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
