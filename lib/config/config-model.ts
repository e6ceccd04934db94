import type { Rule } from '../policy/rule';
import type { ConfigWarning } from './config-warning';
import type { DurationString, Percent, RateString } from './amount';
import type { ForwardedHeader, TrustedProxies } from '../policy/trusted-proxies';
import type { SessionKeySpec } from './session-key-spec';
import type { BandwidthUnit, ThrottleSettings } from '../types';

/**
 * One vhost's `<Options>` in plain form: the `config` option of `bandwidth()` and the
 * XML loader both produce this, and one normaliser validates it (docs/spec.md §1).
 *
 * Amounts are best written as strings with their unit (`'50mbps'`, `'800kbps'`, `'5s'`,
 * `'120%'`). A bare number (or numeric string, as XML has it) keeps the config files' unit
 * for that field, noted on each.
 */
export interface VhostOptionsInput {
  /** `<TrafficCap>`: vhost cap; a bare number is Mbps; 0 = none. Default 0. */
  trafficCap?: number | RateString | (string & {});
  /** `<TrafficCap Session>`: per-session cap; a bare number is Kbps; 0 = none. Default 0. */
  sessionCap?: number | RateString | (string & {});
  /** `<Bandwidth>`: default bandwidth; a bare number is in `unit`. Default 1000. */
  bandwidth?: number | RateString | (string & {});
  /** `<Bandwidth Unit>`: the unit of bare numbers in `bandwidth` and in rules. Default `kbps`. */
  unit?: BandwidthUnit | (string & {});
  /** `<Ratio>`: percent. Default 100. */
  ratio?: Percent | (string & {});
  /** `<Boost>`: seconds (a bare number, `'5s'`, `'1min 30secs'`) or bytes (`'512KB'`). Default 5. */
  boost?: number | DurationString | (string & {});
  /** `Param` attributes: query-string names of the three fields. No default. */
  params?: { bandwidth?: string; ratio?: string; boost?: string };
  /**
   * `<Throttling>`: ON/OFF. Default: ON for a vhost given rules in the `config` option; OFF
   * in the config files (a vhost with rules and no `<Throttling>` gets a warning).
   */
  throttling?: boolean | string;
  /** `<Throttling QueryString>`: ON/OFF. Default OFF. */
  queryString?: boolean | string;
  /** `<CaseSensitive>`: URL patterns match case-sensitively. Default ON. */
  caseSensitive?: boolean | string;
  /**
   * `<Viewer Param Cookie>`: where a segmented request's viewer id is read when the player
   * sends no CMCD session id (docs/segmented.md). No default: then the client IP.
   */
  viewer?: { param?: string; cookie?: string };
  /**
   * `<SessionKey>`: what one session is: `connection`, `ip`, `header:NAME`, `cookie:NAME` or `viewer`.
   * Default: the `session` option of `bandwidth()`.
   */
  sessionKey?: string;
  /** `<XAccelLimitRate>`: honour an upstream's `X-Accel-Limit-Rate` response header. Default OFF. */
  xAccelLimitRate?: boolean | string;
}

/** `<TrustedProxies>` in plain form: the addresses and CIDRs whose forwarding headers are believed. */
export interface TrustedProxiesInput {
  addresses: string[];
  /** `X-Forwarded-For` (default) or `Forwarded` (RFC 7239). */
  header?: string;
}

/** One vhost in plain form. `rules` is the text of a throttling.txt, or its lines. */
export interface VhostInput {
  name: string;
  aliases?: string[];
  options?: VhostOptionsInput;
  rules?: string | string[];
}

/** The `config` option of `bandwidth()`: the same model as a config directory. */
export interface ConfigInput {
  /** `<VHostDefault><Options>`: what every vhost inherits. */
  defaults?: VhostOptionsInput;
  vhosts: VhostInput[];
  /** `<Default>`: the vhost for hosts that match nothing. */
  default?: string;
  /** `<Server><TrustedProxies>`: a list of addresses/CIDRs, or `{ addresses, header }`. Default none: forwarding headers are ignored. */
  trustedProxies?: string[] | TrustedProxiesInput;
}

/** A validated vhost: every rate in bytes/s. */
export interface VhostConfig {
  name: string;
  aliases: readonly string[];
  /** bytes/s; 0 = none. */
  trafficCap: number;
  /** bytes/s; 0 = none. */
  sessionCap: number;
  settings: ThrottleSettings;
  throttling: boolean;
  queryString: boolean;
  caseSensitive: boolean;
  /** Where a viewer id is read after CMCD (docs/segmented.md); empty: the client IP. */
  viewer: { param?: string; cookie?: string };
  rules: readonly Rule[];
  /** Where the rules came from, for `explain`. */
  rulesFile: string | null;
  /** `<SessionKey>`; null = the `session` option decides. */
  sessionKey?: SessionKeySpec | null;
  /** Honour `X-Accel-Limit-Rate` from the handlers' response. */
  xAccelLimitRate?: boolean;
  /** Some rule reads the response's media type (`MIME[...]`): the plan is resolved again after the handlers. */
  usesMime?: boolean;
}

/** A validated configuration, swapped atomically on reload. */
export interface BandwidthConfig {
  vhosts: readonly VhostConfig[];
  defaultVhost: string | null;
  /** What is valid but likely a mistake; reported once at startup and by `check`. */
  warnings?: readonly ConfigWarning[];
  /** Whose forwarding headers are believed; null or absent = none (the socket peer is the client). */
  trustedProxies?: TrustedProxies | null;
}

export type { ForwardedHeader, SessionKeySpec };
