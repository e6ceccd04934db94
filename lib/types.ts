/**
 * The data model shared by config, policy, media, meter and store.
 *
 * Every rate inside the package is in bytes per second, every size in bytes, every
 * duration in seconds; units appear only at the edges (config files, query strings,
 * CLI output). See docs/spec.md §1.
 */

/** `<Bandwidth Unit>` values (docs/spec.md §1). */
export type BandwidthUnit = 'kbps' | 'mbps' | 'bytes' | 'kb' | 'mb';

/** A half-open byte range `[start, end)` of a file or of a response body. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The bandwidth field of a rule or a route override (docs/spec.md §2), normalised to bytes/s.
 * - `fixed`: a number in the vhost's unit, converted.
 * - `dynamic`: `Nx` (fallback = N converted) or `x` (fallback = null: use `<Settings>`).
 * - `no`: BT never applies.
 */
export type BandwidthSpec =
  | { kind: 'fixed'; bytesPerSecond: number }
  | { kind: 'dynamic'; fallbackBytesPerSecond: number | null }
  | { kind: 'no' };

/** `<BandwidthThrottling><Settings>` after normalisation. */
export interface ThrottleSettings {
  /** Default bandwidth, bytes/s. */
  bandwidth: number;
  /** Unit in which rule fields and query values are written. */
  unit: BandwidthUnit;
  /** Percent. */
  ratio: number;
  /** Seconds. */
  boost: number;
  /** A byte boost (`<Boost>512KB</Boost>`), in place of `boost` seconds when set. */
  boostBytes?: number;
  /** Query-string names of the three fields; absent means "cannot be set from the query". */
  params: { bandwidth?: string; ratio?: string; boost?: string };
}

/** Where a rule came from, for errors and for `explain`. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One raw query value as the client sent it; an array when the param was repeated. */
export type QueryValue = string | readonly string[];

/** Facts about a request that conditions look at. Plain data: no Koa inside. */
export interface RequestFacts {
  /**
   * The client's address: the socket's peer, or with trusted proxies configured the first
   * untrusted hop of the forwarding header from the right (docs/config.md#trusted-proxies).
   */
  ip: string;
  /** Request path without the query string. */
  path: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Raw query values for the BT params that the vhost declares, by field; an array when the
   * client repeated the param. Client input: read only by `readQueryValues`.
   */
  query: { bandwidth?: QueryValue; ratio?: QueryValue; boost?: QueryValue };
  /** `http` or `https` as the client used it; default `http`. */
  protocol?: string;
  /** The request method, upper-case; default `GET`. */
  method?: string;
  /**
   * The response's media type, lower-case without parameters; empty until the handlers have
   * set the body (`MIME[...]` conditions, docs/config.md#conditions).
   */
  mime?: string;
}

/** The throttle plan resolved for one request (docs/spec.md §3). Immutable once made. */
export interface Plan {
  vhost: string;
  /** Whether BT applies. TrafficCap and Session apply regardless. */
  throttle: boolean;
  /** The rule that matched, if any. */
  rule: { line: number; text: string } | null;
  /** Bandwidth before ratio, bytes/s; null when no BT. */
  bandwidth: number | null;
  /** Percent. */
  ratio: number;
  boostSeconds: number;
  /** `boostSeconds × rate`, bytes; or the byte boost as given when `boostBy` is `bytes`. */
  boostBytes: number;
  /** `bytes` when the boost was given as a size (`512KB`): it stays that many bytes whatever the rate. */
  boostBy?: 'seconds' | 'bytes';
  /**
   * Effective BT rate `bandwidth × ratio / 100`, bytes/s; null when no BT. For a dynamic
   * plan this is the fallback rate until the media probe supplies the encoding rate.
   */
  rate: number | null;
  /** True when the bandwidth comes from the media encoding rate (`x`, `Nx`). */
  dynamic: boolean;
  /** Per-session cap, bytes/s; 0 = none. */
  sessionCap: number;
  /** Per-vhost cap, bytes/s; 0 = none. */
  trafficCap: number;
  /**
   * The most `rate` may be, bytes/s: `limits.bandwidth`, present when a query value set the
   * bandwidth or the ratio (docs/config.md). The encoding rate of `x` keeps to it too.
   */
  maxRate?: number;
  /** For HLS/DASH requests: what the segment is and whose (docs/segmented.md). */
  segment?: SegmentFacts;
}

/** A segmented request as the plan, `explain` and the records show it (docs/segmented.md). */
export interface SegmentFacts {
  /** Playlists and init segments are never BT-throttled; media segments are paced. */
  kind: 'playlist' | 'init' | 'media';
  /** Seconds of media (media segments); null when no playlist gives it. */
  duration: number | null;
  /** Sequence number (media segments); null when unknown. */
  seq: number | null;
  /** The fraction of the segment inside the viewer's boost, 0…1 (media segments under BT). */
  boosted: number;
  /** The viewer id and where it came from. */
  viewer: string;
  viewerSource: 'cmcd' | 'param' | 'cookie' | 'ip';
}

/** What the media probe learns of a file (docs/spec.md §4). */
export interface MediaInfo {
  container: 'mp4' | 'mp3' | null;
  /** File byte ranges that form the media header, sent unthrottled. Sorted, disjoint. */
  header: ByteRange[];
  /** Total header bytes (sum of `header`). */
  headerBytes: number;
  /** Encoding rate in bits per second, or null when unknown. */
  bitrate: number | null;
  /** Seconds, or null when unknown. */
  duration: number | null;
}

/**
 * A store that shares each vhost's TrafficCap across processes (docs/spec.md §6).
 * The in-memory store is the default; the Redis store is opt-in.
 *
 * The meter keeps a local pool of cap bytes per vhost and asks the store for a lease
 * whenever the pool runs low. A store splits the cap across processes in proportion to
 * each process's active sessions, so a session gets the same rate whichever process
 * serves it.
 */
export interface CapStore {
  /** `memory`, `redis`, … for stats and logs. */
  readonly kind: string;
  /**
   * Reserve up to `want` bytes of `vhost`'s cap for this process.
   * @param capBytesPerSecond the vhost's cap, bytes/s (> 0).
   * @param want bytes wanted now. 0 when a vhost's first response opens: a store that clocks
   *   its bucket in this process may start it then (the memory store does); it grants nothing.
   * @param activeSessions this process's active sessions on the vhost (its fair-share weight).
   * @returns bytes granted, `0 ≤ granted ≤ want`. Never rejects: a store that cannot reach
   * its server answers from its local fallback.
   */
  lease(vhost: string, capBytesPerSecond: number, want: number, activeSessions: number): number | Promise<number>;
  /** True while a remote store runs on its local fallback. */
  readonly degraded: boolean;
  /** Release resources (timers, scripts). Does not close a user's client. */
  close(): Promise<void>;
}

/** One active session in a stats snapshot (docs/observability.md). */
export interface SessionStats {
  /** Opaque, stable while the session lives (`s1`, `s2`, …). */
  id: string;
  vhost: string;
  ip: string;
  /** Achieved rate over the last second, bytes/s. */
  rate: number;
  bytesSent: number;
  /** Responses in flight on this session. */
  responses: number;
  /** Whether any in-flight response is BT-limited. */
  throttled: boolean;
  /** The plan of the newest in-flight response. */
  plan: Plan | null;
}

/** One configured vhost in a stats snapshot. `_unmatched` collects hosts that match no vhost. */
export interface VhostStats {
  name: string;
  /** TrafficCap, bytes/s; 0 = none. */
  cap: number;
  /** Achieved aggregate rate over the last second, bytes/s. */
  rate: number;
  bytesSent: number;
  activeSessions: number;
  throttledSessions: number;
}

/** What `stats()` returns: a point-in-time view of every vhost and session. */
export interface StatsSnapshot {
  /** Milliseconds since the epoch. */
  time: number;
  vhosts: VhostStats[];
  sessions: SessionStats[];
  /** The meter's shared file-block cache (docs/metering.md, "The block cache"). */
  fileCache?: FileCacheStats;
}

/** Counters of the shared file-block cache since the process started. */
export interface FileCacheStats {
  /** Block lookups that found the block cached or already loading. */
  hits: number;
  /** Block lookups that loaded it. */
  misses: number;
  /** Block reads issued (a block that changed in place is read again). */
  loads: number;
  /** Bytes of blocks held now. */
  cachedBytes: number;
  /** The cache stepped aside, blocks not being reused: downloads read for themselves. */
  bypassing: boolean;
}
