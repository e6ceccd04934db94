import type { Context } from 'koa';
import type { ConfigInput } from './config/config-model';
import { OptionError } from './errors';
import type { GeoIp } from './policy/match-context';
import { DEFAULT_LIMITS, type QueryLimits } from './policy/resolve-plan';
import type { CapStore } from './types';
import { SHORTHAND_KEYS, shorthandConfig, type ShorthandOptions } from './shorthand-config';
import { readDuration, readPercent, readRate, type AmountResult, type Duration, type Percent, type Rate } from './config/amount';

/**
 * Options of `bandwidth()`. Say what to throttle in one of three ways: the one-line form
 * (`rate`, `boost`, `sessionCap`, `trafficCap`), `conf` (a config directory) or `config`
 * (the same model as a plain object).
 */
export interface BandwidthOptions extends ShorthandOptions {
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
  /** The most a query string may ask for: bandwidth in bytes/s, ratio in percent, boost in seconds. */
  limits?: { bandwidth?: Rate; ratio?: Percent; boost?: Duration };
  /** Media headers larger than this are throttled like the rest. Default 16 MiB. */
  maxHeaderBytes?: number;
  /**
   * A pino-compatible logger. Default: none, and config warnings go to Node's
   * `process.emitWarning` (printed once to stderr) instead.
   */
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
  /** Report a likely mistake: to the logger at `warn`, or to `process.emitWarning` without one. */
  warn: (code: string, message: string) => void;
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

const KEYS: readonly string[] = ['conf', 'config', ...SHORTHAND_KEYS, 'watch', 'session', 'segmented', 'store', 'geoip', 'limits', 'maxHeaderBytes', 'logger', 'clock'];

const FORMS = "one of: the one-line form (`{ rate: '2mbps', boost: '5s' }`, or `sessionCap` / `trafficCap`), `conf` (a config directory) or `config` (a plain object)";

/** Node prints each of its warnings; one per distinct message per process is enough. */
const emitted = new Set<string>();
function emitOnce(code: string, message: string): void {
  if (emitted.has(message)) return;
  emitted.add(message);
  process.emitWarning(message, { code: `KOA_BANDWIDTH_${code}` });
}

const isNonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Validate `bandwidth()` options once. Never mutates `opts`.
 * @throws OptionError naming the option and its accepted range.
 */
export function normalizeOptions(opts: BandwidthOptions | undefined): NormalizedOptions {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new OptionError('options', 'an object', opts);
  for (const k of Object.keys(opts)) if (!KEYS.includes(k)) throw new OptionError(k, `one of the known options (${KEYS.join(', ')})`, (opts as Record<string, unknown>)[k]);
  const { conf, config } = opts;
  const short = shorthandConfig(opts);
  const forms = [conf !== undefined, config !== undefined, short !== null].filter(Boolean).length;
  if (forms === 0) throw new OptionError('options', FORMS, opts);
  if (forms > 1) throw new OptionError(conf !== undefined ? 'conf' : 'config', `given alone: ${FORMS}`, conf ?? config);
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
  // Numbers in the documented units (bytes/s, percent, seconds), or strings that say theirs.
  const limit = (k: 'bandwidth' | 'ratio' | 'boost', read: (v: unknown) => AmountResult, expected: string): number => {
    const v = l[k];
    if (v === undefined) return DEFAULT_LIMITS[k];
    if (typeof v === 'string') {
      const r = read(v);
      if (!r.ok) throw new OptionError(`limits.${k}`, r.expected, v);
      return r.value;
    }
    if (!isNonNegative(v)) throw new OptionError(`limits.${k}`, expected, v);
    return v;
  };
  const limits: QueryLimits = {
    bandwidth: limit('bandwidth', readRate, 'a finite number of bytes/s ≥ 0'),
    ratio: limit('ratio', readPercent, 'a finite percentage ≥ 0'),
    boost: limit('boost', readDuration, 'a finite number of seconds ≥ 0'),
  };

  const maxHeaderBytes = opts.maxHeaderBytes ?? 16 * 1024 * 1024;
  if (!isNonNegative(maxHeaderBytes) || !Number.isInteger(maxHeaderBytes)) throw new OptionError('maxHeaderBytes', 'an integer number of bytes ≥ 0', maxHeaderBytes);

  const logger = opts.logger ?? silentLogger;
  if (typeof logger !== 'object' || logger === null || !['debug', 'info', 'warn', 'error'].every((m) => typeof (logger as unknown as Record<string, unknown>)[m] === 'function')) {
    throw new OptionError('logger', 'a pino-compatible logger with debug, info, warn and error', logger);
  }
  const warn = logger === silentLogger ? emitOnce : (code: string, message: string): void => logger.warn({ code }, `koa-bandwidth: ${message}`);
  const clock = opts.clock ?? (() => performance.now());
  if (typeof clock !== 'function') throw new OptionError('clock', 'a function returning milliseconds', clock);

  return {
    source: conf !== undefined ? { kind: 'dir', dir: conf } : { kind: 'object', config: short ?? (config as ConfigInput) },
    watch,
    session,
    segmented,
    store,
    geoip: opts.geoip,
    limits,
    maxHeaderBytes,
    logger,
    warn,
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
