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
export { headerInRange } from './media/header-in-range';
