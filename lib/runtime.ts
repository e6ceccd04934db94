import { LiveConfig } from './config/live-config';
import { createEngine, type Engine } from './meter/engine';
import { memoryStore } from './store/memory-store';
import type { NormalizedOptions } from './options';
import { silentLogger } from './options';
import { responseChannel } from './observe/response-channel';
import type { ResponseRecord } from './observe/response-record';
import type { ResponseSink } from './observe/observe-response';
import { mergeStats } from './observe/merge-stats';
import { UnmeteredStats, type UnmeteredResponse } from './observe/unmetered-stats';
import type { SessionKey } from './meter/flow';
import { SegmentIndex } from './segmented/segment-index';
import { ViewerTable } from './segmented/viewer-table';
import type { CapStore, Plan, StatsSnapshot } from './types';

/** The vhost name that hosts matching no vhost are counted under (issue 7). */
export const UNMATCHED = '_unmatched';

/**
 * What one `bandwidth()` instance shares across its requests: the live config, the meter
 * engine with its store, session ids, and the response counters behind `stats()`.
 */
export class BandwidthRuntime implements ResponseSink {
  readonly config: LiveConfig;
  readonly engine: Engine;
  readonly store: CapStore;
  /** Responses the meter does not carry, by configured vhost name or `_unmatched`. */
  readonly unmetered: UnmeteredStats;
  /** HLS/DASH state (docs/segmented.md): playlists' segment tables and viewers' boosts; null when `segmented: false`. */
  readonly segmented: { index: SegmentIndex; viewers: ViewerTable } | null;
  private readonly ids = new WeakMap<object, string>();
  private nextId = 0;

  constructor(readonly options: NormalizedOptions) {
    this.config = new LiveConfig(options);
    this.store = options.store ?? memoryStore({ clock: options.clock });
    this.engine = createEngine({ store: this.store, clock: options.clock });
    this.unmetered = new UnmeteredStats(options.clock);
    this.segmented = options.segmented
      ? { index: new SegmentIndex(options.clock), viewers: new ViewerTable({ idleMs: options.segmented.idleMs, max: options.segmented.maxViewers, clock: options.clock }) }
      : null;
  }

  /** A stable id per session: `c<n>` per connection, the key itself for `ip`/function sessions. */
  sessionId(key: SessionKey): string {
    if (typeof key === 'string') return key;
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = `c${++this.nextId}`));
    return id;
  }

  wantsRecords(): boolean {
    return this.config.listenerCount('response') > 0 || responseChannel.hasSubscribers || this.options.logger !== silentLogger;
  }

  openUnmetered(vhost: string, session: string, client: { readonly ip?: string }, plan: Plan | null): UnmeteredResponse {
    // The name is a configured vhost or `_unmatched`, never a client's Host: the state is bounded.
    return this.unmetered.open(vhost, session, client, plan);
  }

  publish(record: ResponseRecord): void {
    this.config.emit('response', record);
    if (responseChannel.hasSubscribers) responseChannel.publish(record);
    this.options.logger.info(record, 'koa-bandwidth: response');
  }

  /**
   * Every configured vhost and `_unmatched`, with the caps in force and the live figures of
   * metered and unmetered responses alike; sessions with a response in flight.
   */
  stats(): StatsSnapshot {
    const names = [...this.config.table.config.vhosts.map((v) => [v.name, v.trafficCap] as const), [UNMATCHED, 0] as const];
    const snap = mergeStats(Date.now(), names, [this.engine.stats(), this.unmetered.snapshot()]);
    snap.fileCache = this.engine.cacheStats();
    return snap;
  }

  async close(): Promise<void> {
    this.config.close();
    this.segmented?.viewers.close();
    await this.engine.close();
    if (!this.options.store) await this.store.close();
  }
}
