import { LiveConfig } from './config/live-config';
import { createEngine, type Engine } from './meter/engine';
import { memoryStore } from './store/memory-store';
import type { NormalizedOptions } from './options';
import { silentLogger } from './options';
import { responseChannel } from './observe/response-channel';
import type { ResponseRecord } from './observe/response-record';
import type { ResponseSink } from './observe/observe-response';
import type { SessionKey } from './meter/flow';
import type { CapStore, StatsSnapshot, VhostStats } from './types';

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
  /** Bytes the meter did not carry, by configured vhost name or `_unmatched`. */
  private readonly unmetered = new Map<string, number>();
  private readonly ids = new WeakMap<object, string>();
  private nextId = 0;

  constructor(readonly options: NormalizedOptions) {
    this.config = new LiveConfig(options);
    this.store = options.store ?? memoryStore({ clock: options.clock });
    this.engine = createEngine({ store: this.store, clock: options.clock });
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

  addUnmeteredBytes(vhost: string, bytes: number): void {
    // The name is a configured vhost or `_unmatched`, never a client's Host: the map is bounded.
    this.unmetered.set(vhost, (this.unmetered.get(vhost) ?? 0) + bytes);
  }

  publish(record: ResponseRecord): void {
    this.config.emit('response', record);
    if (responseChannel.hasSubscribers) responseChannel.publish(record);
    this.options.logger.info(record, 'koa-bandwidth: response');
  }

  /** Every configured vhost and `_unmatched`, with the meter's live figures. */
  stats(): StatsSnapshot {
    const snap = this.engine.stats();
    const live = new Map(snap.vhosts.map((v) => [v.name, v]));
    const vhosts: VhostStats[] = [];
    const names = [...this.config.table.config.vhosts.map((v) => [v.name, v.trafficCap] as const), [UNMATCHED, 0] as const];
    for (const [name, cap] of names) {
      const v = live.get(name) ?? { name, cap, rate: 0, bytesSent: 0, activeSessions: 0, throttledSessions: 0 };
      vhosts.push({ ...v, cap, bytesSent: v.bytesSent + (this.unmetered.get(name) ?? 0) });
    }
    return { time: snap.time, vhosts, sessions: snap.sessions };
  }

  async close(): Promise<void> {
    this.config.close();
    await this.engine.close();
    if (!this.options.store) await this.store.close();
  }
}
