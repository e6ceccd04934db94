import type { Context } from 'koa';
import type { ConfigInput } from './config/config-model';
import { OptionError } from './errors';
import type { GeoIp } from './policy/match-context';
import { DEFAULT_LIMITS, type QueryLimits } from './policy/resolve-plan';
import type { CapStore } from './types';

/**
 * Options of `bandwidth()`. Give `conf` (a config directory) or `config` (the same model as
 * a plain object), not both.
 */
export interface BandwidthOptions {
  /** Config directory holding server.xml, vhosts.xml and svc/<vhost>/throttling.txt. */
  conf?: string;
  /** The config as a plain object: `{ defaults, vhosts: [{ name, aliases, options, rules }], default }`. */
  config?: ConfigInput;
  /** Reload `conf` on change. Default true with `conf`. `{ debounceMs }` tunes the debounce (default 100). */
  watch?: boolean | { debounceMs?: number };
  /**
   * What one session is: the connection (default), the client IP, the viewer (docs/segmented.md),
   * or a function of ctx. With `connection` and `viewer`, HLS/DASH requests (playlists, init
   * and media segments) are grouped by viewer; with `viewer`, every request is.
   */
  session?: 'connection' | 'ip' | 'viewer' | ((ctx: Context) => string);
  /**
   * HLS and DASH (docs/segmented.md): `false` treats segments as plain files. `idleSeconds`
   * (default 60, range (0, 86400]) forgets a quiet viewer's boost; `maxViewers` (default
   * 100,000) bounds how many are remembered.
   */
  segmented?: false | { idleSeconds?: number; maxViewers?: number };
  /** Where TrafficCap is shared across processes. Default: in memory. */
  store?: CapStore;
  /** Country lookup for `IP[KR]` conditions. */
  geoip?: GeoIp;
  /** The most a query string may ask for: bandwidth in bytes/s, ratio in %, boost in s. */
  limits?: Partial<QueryLimits>;
  /** Media headers larger than this are throttled like the rest. Default 16 MiB. */
  maxHeaderBytes?: number;
  /** A pino-compatible logger. Default: silent. */
  logger?: Logger;
  /** Monotonic milliseconds clock for the meter, for tests. Default `performance.now`. */
  clock?: () => number;
}

/** Options after validation: every default filled in. */
export interface NormalizedOptions {
  source: { kind: 'dir'; dir: string } | { kind: 'object'; config: ConfigInput };
  watch: false | { debounceMs: number };
  session: 'connection' | 'ip' | 'viewer' | ((ctx: Context) => string);
  segmented: false | { idleMs: number; maxViewers: number };
  store: CapStore | null;
  geoip: GeoIp | undefined;
  limits: QueryLimits;
  maxHeaderBytes: number;
  logger: Logger;
  clock: () => number;
}

/** The pino-compatible subset of a logger the package uses. */
export interface Logger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

const noop = (): void => {};

/** The default: silent. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

const KEYS = ['conf', 'config', 'watch', 'session', 'segmented', 'store', 'geoip', 'limits', 'maxHeaderBytes', 'logger', 'clock'];

const isNonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Validate `bandwidth()` options once. Never mutates `opts`.
 * @throws OptionError naming the option and its accepted range.
 */
export function normalizeOptions(opts: BandwidthOptions | undefined): NormalizedOptions {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new OptionError('options', 'an object', opts);
  for (const k of Object.keys(opts)) if (!KEYS.includes(k)) throw new OptionError(k, `one of the known options (${KEYS.join(', ')})`, (opts as Record<string, unknown>)[k]);
  const { conf, config } = opts;
  if ((conf === undefined) === (config === undefined)) throw new OptionError('conf', 'a config directory path, or else `config` must be given (exactly one of the two)', conf);
  if (conf !== undefined && (typeof conf !== 'string' || conf === '')) throw new OptionError('conf', 'a non-empty directory path', conf);
  if (config !== undefined && (typeof config !== 'object' || config === null || !Array.isArray(config.vhosts))) throw new OptionError('config', 'an object with a `vhosts` array', config);

  const w = opts.watch ?? conf !== undefined;
  let watch: NormalizedOptions['watch'] = false;
  if (typeof w === 'object' && w !== null) {
    const d = w.debounceMs ?? 100;
    if (!isNonNegative(d)) throw new OptionError('watch.debounceMs', 'a non-negative number of milliseconds', d);
    watch = { debounceMs: d };
  } else if (w === true) watch = { debounceMs: 100 };
  else if (w !== false) throw new OptionError('watch', 'a boolean or { debounceMs }', w);
  if (watch && conf === undefined) throw new OptionError('watch', 'false when `config` is given (only a `conf` directory is watched)', opts.watch);

  const session = opts.session ?? 'connection';
  if (session !== 'connection' && session !== 'ip' && session !== 'viewer' && typeof session !== 'function') throw new OptionError('session', "'connection', 'ip', 'viewer' or a function (ctx) => string", session);
  const segmented = normalizeSegmented(opts.segmented);

  const store = opts.store ?? null;
  if (store !== null && (typeof store !== 'object' || typeof store.lease !== 'function' || typeof store.close !== 'function' || typeof store.kind !== 'string')) {
    throw new OptionError('store', 'a CapStore ({ kind, lease(), close(), degraded })', store);
  }
  if (opts.geoip !== undefined && typeof opts.geoip !== 'function') throw new OptionError('geoip', 'a function (ip) => country code', opts.geoip);

  const l = opts.limits ?? {};
  if (typeof l !== 'object' || l === null) throw new OptionError('limits', 'an object { bandwidth?, ratio?, boost? }', l);
  for (const k of Object.keys(l)) if (!['bandwidth', 'ratio', 'boost'].includes(k)) throw new OptionError(`limits.${k}`, 'one of limits.bandwidth, limits.ratio, limits.boost', (l as Record<string, unknown>)[k]);
  const limits: QueryLimits = {
    bandwidth: l.bandwidth ?? DEFAULT_LIMITS.bandwidth,
    ratio: l.ratio ?? DEFAULT_LIMITS.ratio,
    boost: l.boost ?? DEFAULT_LIMITS.boost,
  };
  if (!isNonNegative(limits.bandwidth)) throw new OptionError('limits.bandwidth', 'a finite number of bytes/s ≥ 0', l.bandwidth);
  if (!isNonNegative(limits.ratio)) throw new OptionError('limits.ratio', 'a finite percentage ≥ 0', l.ratio);
  if (!isNonNegative(limits.boost)) throw new OptionError('limits.boost', 'a finite number of seconds ≥ 0', l.boost);

  const maxHeaderBytes = opts.maxHeaderBytes ?? 16 * 1024 * 1024;
  if (!isNonNegative(maxHeaderBytes) || !Number.isInteger(maxHeaderBytes)) throw new OptionError('maxHeaderBytes', 'an integer number of bytes ≥ 0', maxHeaderBytes);

  const logger = opts.logger ?? silentLogger;
  if (typeof logger !== 'object' || logger === null || !['debug', 'info', 'warn', 'error'].every((m) => typeof (logger as unknown as Record<string, unknown>)[m] === 'function')) {
    throw new OptionError('logger', 'a pino-compatible logger with debug, info, warn and error', logger);
  }
  const clock = opts.clock ?? (() => performance.now());
  if (typeof clock !== 'function') throw new OptionError('clock', 'a function returning milliseconds', clock);

  return {
    source: conf !== undefined ? { kind: 'dir', dir: conf } : { kind: 'object', config: config as ConfigInput },
    watch,
    session,
    segmented,
    store,
    geoip: opts.geoip,
    limits,
    maxHeaderBytes,
    logger,
    clock,
  };
}

function normalizeSegmented(s: BandwidthOptions['segmented']): NormalizedOptions['segmented'] {
  if (s === false) return false;
  if (s !== undefined && (typeof s !== 'object' || s === null)) throw new OptionError('segmented', 'false or { idleSeconds?, maxViewers? }', s);
  for (const k of Object.keys(s ?? {})) if (k !== 'idleSeconds' && k !== 'maxViewers') throw new OptionError(`segmented.${k}`, 'one of segmented.idleSeconds, segmented.maxViewers', (s as Record<string, unknown>)[k]);
  const idleSeconds = s?.idleSeconds ?? 60;
  if (!(typeof idleSeconds === 'number' && idleSeconds > 0 && idleSeconds <= 86_400)) throw new OptionError('segmented.idleSeconds', 'a number of seconds in (0, 86400]', idleSeconds);
  const maxViewers = s?.maxViewers ?? 100_000;
  if (!Number.isInteger(maxViewers) || maxViewers < 1) throw new OptionError('segmented.maxViewers', 'an integer ≥ 1', maxViewers);
  return { idleMs: idleSeconds * 1000, maxViewers };
}
