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
import type { Context } from 'koa';
import type { VhostConfig } from './config/config-model';
import type { MeteredBody } from './meter/metered-body';
import type { ClientAddress } from './policy/trusted-proxies';
import { requestClient } from './request-client';
import { sessionKey, sessionKeyFor } from './session-key';
import { readChange, type BandwidthChange, type BandwidthState } from './bandwidth-state';

/** The vhost name that hosts matching no vhost are counted under (docs/observability.md). */
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
  private warnedUnmatched = false;
  /** Metered responses in flight by session id, for `retune()`. */
  private readonly running = new Map<string, Set<BandwidthState>>();

  constructor(readonly options: NormalizedOptions) {
    this.config = new LiveConfig(options);
    this.store = options.store ?? memoryStore({ clock: options.clock });
    this.engine = createEngine({ store: this.store, clock: options.clock });
    this.unmetered = new UnmeteredStats(options.clock);
    this.segmented = options.segmented
      ? { index: new SegmentIndex(options.clock), viewers: new ViewerTable({ idleMs: options.segmented.idleMs, max: options.segmented.maxViewers, clock: options.clock }) }
      : null;
    // Live retuning: a reload's TrafficCap and Session cap apply to responses in flight.
    this.config.on('reload', (config: { vhosts: readonly VhostConfig[] }) => {
      const caps = new Map<string, { trafficCap: number; sessionCap: number }>();
      for (const v of config.vhosts) {
        const c = { trafficCap: v.trafficCap, sessionCap: v.sessionCap };
        caps.set(v.name, c);
        this.engine.retuneVhost(v.name, c);
      }
      // Stats and records show the caps in force.
      for (const set of this.running.values()) {
        for (const state of set) {
          const c = caps.get(state.vhost.name);
          if (c) state.setCaps(c);
        }
      }
    });
  }

  /** The request's client address (after trusted proxies, when the config has them). */
  clientOf(ctx: Context): ClientAddress {
    return requestClient(ctx, this.config.table.config.trustedProxies ?? null);
  }

  /**
   * The request's session: the vhost's `<SessionKey>`, else the `session` option. `viewerId`
   * gives the viewer of docs/segmented.md, where the caller can tell it (else a `viewer` key
   * falls back to the connection).
   */
  sessionOf(ctx: Context, vhost: VhostConfig | null, viewerId?: () => string): SessionKey {
    const spec = vhost?.sessionKey;
    const mode = this.options.session;
    if (spec == null && mode !== 'ip' && mode !== 'viewer') return sessionKey(ctx, mode);
    return sessionKeyFor(ctx, spec, mode, () => this.clientOf(ctx).ip, viewerId);
  }

  clientIp(ctx: Context): string {
    return this.clientOf(ctx).ip;
  }

  /** A metered response in flight, reachable by its session id until its body closes. */
  track(sessionId: string, state: BandwidthState, body: MeteredBody): void {
    let set = this.running.get(sessionId);
    if (!set) this.running.set(sessionId, (set = new Set()));
    set.add(state);
    body.once('close', () => {
      set.delete(state);
      if (set.size === 0 && this.running.get(sessionId) === set) this.running.delete(sessionId);
    });
  }

  /** Change the plan of every response of a session in flight; returns how many changed. */
  retune(sessionId: string, change: BandwidthChange): number {
    readChange(change); // a bad change throws even when no response is in flight
    const set = this.running.get(sessionId);
    if (!set) return 0;
    let n = 0;
    for (const state of [...set]) {
      if (!state.metered) continue;
      state.set(change);
      n++;
    }
    return n;
  }

  /** A running body's plan changed: stats show the new one. */
  replan(body: MeteredBody, plan: Plan): void {
    body.flow.spec.plan = plan;
    body.flow.session.plan = plan;
  }

  /** A stable id per session: `c<n>` per connection, the key itself for `ip`/function sessions. */
  sessionId(key: SessionKey): string {
    if (typeof key === 'string') return key;
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = `c${++this.nextId}`));
    return id;
  }

  /**
   * A request for a host that no vhost matches passed through. On a config of one vhost and
   * no `<Default>` that is most likely another name of the same server (`127.0.0.1` for
   * `localhost`): say so, once. The host is the client's, so it is quoted and cut short.
   */
  unmatched(ctx: { readonly hostname: string }): void {
    if (this.warnedUnmatched) return;
    const { vhosts, defaultVhost } = this.config.table.config;
    if (vhosts.length !== 1 || defaultVhost !== null) return;
    this.warnedUnmatched = true;
    const host = ctx.hostname; // read only now: Koa parses it on each access
    const name = (vhosts[0] as { name: string }).name;
    this.options.warn('UNKNOWN_HOST', `a request for host ${JSON.stringify(host.slice(0, 100))} matched no vhost and passed through unmetered; the config has one vhost ("${name}") and no <Default>. Add an alias, or make it the default (<Default>${name}</Default>, or default: '${name}' in \`config\`); this is said once`);
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
