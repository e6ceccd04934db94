import { OptionError } from '../errors';
import type { CapStore } from '../types';

export interface MemoryStoreOptions {
  /**
   * Seconds of cap a busy vhost may make up after a late lease (event-loop lag); default 0.25,
   * range (0, 10]. A vhost idle for longer starts again with no credit.
   */
  burstSeconds?: number;
  /** Milliseconds clock; default `performance.now`. */
  clock?: () => number;
}

/**
 * The default {@link CapStore}: each vhost's TrafficCap as a token bucket in this process,
 * answered synchronously. A single process owns the whole cap, so `activeSessions` is unused.
 *
 * @example
 * ```ts
 * const engine = createEngine({ store: memoryStore() });
 * ```
 */
export function memoryStore(opts: MemoryStoreOptions = {}): CapStore {
  for (const k of Object.keys(opts)) if (k !== 'burstSeconds' && k !== 'clock') throw new OptionError(k, 'a known option (burstSeconds, clock)', k);
  const burstSeconds = opts.burstSeconds ?? 0.25;
  if (!(burstSeconds > 0 && burstSeconds <= 10)) throw new OptionError('burstSeconds', 'a number in (0, 10]', burstSeconds);
  const burstMs = burstSeconds * 1000;
  const clock = opts.clock ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; last: number }>();
  return {
    kind: 'memory',
    degraded: false,
    lease(vhost, cap, want) {
      const now = clock();
      let b = buckets.get(vhost);
      if (!b) buckets.set(vhost, (b = { tokens: 0, last: now }));
      const idle = now - b.last;
      // A vhost that asked nothing for longer than the burst window was idle: its bucket starts
      // again empty, as a new one does, so a TrafficCap sends like a NIC of that speed from
      // the first byte (docs/metering.md). Shorter gaps (a late tick, event-loop lag) are made up.
      b.tokens = idle > burstMs ? 0 : Math.min(cap * burstSeconds, b.tokens + (cap * Math.max(0, idle)) / 1000);
      b.last = now;
      const granted = Math.max(0, Math.min(want, Math.floor(b.tokens)));
      b.tokens -= granted;
      return granted;
    },
    async close() {
      buckets.clear();
    },
  };
}
