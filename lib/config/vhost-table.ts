import type { BandwidthConfig, VhostConfig } from './config-model';

const HOST_CACHE_SIZE = 256;

/**
 * Host lookup (docs/spec.md §1): Name, then exact Alias, then `*.` Alias (longest suffix first),
 * then `<Default>`. Built once per config; lookups never add to its tables, and the cache of
 * raw Host values is bounded, so unknown hosts create no lasting state.
 */
export class VhostTable {
  private readonly exact = new Map<string, VhostConfig>();
  private readonly alias = new Map<string, VhostConfig>();
  private readonly wildcards: { suffix: string; vhost: VhostConfig }[] = [];
  private readonly fallback: VhostConfig | null;
  /**
   * Raw Host values already looked up, with their answer. A handful of names serve nearly
   * every request; clients may send any number of others, so the cache is emptied when it
   * reaches {@link HOST_CACHE_SIZE} (bounded state, and no per-host series anywhere).
   */
  private readonly seen = new Map<string, VhostConfig | null>();

  constructor(readonly config: BandwidthConfig) {
    for (const v of config.vhosts) this.exact.set(v.name, v);
    for (const v of config.vhosts) {
      for (const a of v.aliases) {
        if (a.startsWith('*.')) this.wildcards.push({ suffix: a.slice(1), vhost: v });
        else if (!this.alias.has(a)) this.alias.set(a, v);
      }
    }
    this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
    this.fallback = config.defaultVhost === null ? null : (this.exact.get(config.defaultVhost) ?? null);
  }

  /** The vhost for a raw Host header value (port, brackets, case, trailing dot handled); null = pass through. */
  lookup(host: string | undefined): VhostConfig | null {
    if (typeof host !== 'string') return this.resolve(host);
    const hit = this.seen.get(host);
    if (hit !== undefined) return hit;
    const vhost = this.resolve(host);
    if (this.seen.size >= HOST_CACHE_SIZE) this.seen.clear();
    this.seen.set(host, vhost);
    return vhost;
  }

  private resolve(host: string | undefined): VhostConfig | null {
    const h = normalizeHost(host);
    if (h !== null) {
      const hit = this.exact.get(h) ?? this.alias.get(h);
      if (hit) return hit;
      for (const w of this.wildcards) if (h.length > w.suffix.length && h.endsWith(w.suffix)) return w.vhost;
    }
    return this.fallback;
  }

  /** A vhost by its Name. */
  byName(name: string): VhostConfig | null {
    return this.exact.get(name.toLowerCase()) ?? null;
  }
}

/**
 * Reduce a Host header to a lower-case host without port or trailing dot. IPv6 literals
 * keep their brackets (`[::1]`). Garbage gives null, never an exception: clients choose it.
 */
export function normalizeHost(host: string | undefined): string | null {
  if (typeof host !== 'string' || host.length === 0 || host.length > 300) return null;
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return null;
    h = h.slice(0, end + 1);
    return /^\[[0-9a-f:.]+\]$/.test(h) ? h : null;
  }
  const colon = h.indexOf(':');
  if (colon >= 0) {
    if (!/^\d{0,5}$/.test(h.slice(colon + 1))) return null;
    h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return /^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(h) ? h : null;
}
