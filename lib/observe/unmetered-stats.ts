import { RateWindow } from '../meter/rate-window';
import type { Plan, SessionStats, VhostStats } from '../types';

/** Counts one response that the meter does not carry; `end()` once it is over. */
export interface UnmeteredResponse {
  readonly bytes: number;
  add(n: number): void;
  end(): void;
}

/**
 * Bytes are added to the totals at once, but reach the rate windows (which need the clock) in
 * batches: when a session has this many waiting, when a response ends, and when stats are read.
 */
const BATCH_BYTES = 64 * 1024;

/** Idle sessions kept beyond twice the active ones before a sweep. */
const IDLE_SLACK = 256;

interface UnmeteredSession {
  readonly id: string;
  /** The client address when the session was first seen. */
  readonly ip: string;
  /** Responses in flight; 0 = idle, kept for the connection's next response until swept. */
  responses: number;
  bytesSent: number;
  /** Bytes counted in bytesSent but not yet in the window. */
  pending: number;
  plan: Plan | null;
  readonly window: RateWindow;
}

interface UnmeteredVhost {
  bytesSent: number;
  pending: number;
  readonly window: RateWindow;
  readonly sessions: Map<string, UnmeteredSession>;
  /** Sessions with a response in flight. */
  active: number;
}

/** One response's counter: a class, not a literal with closures, as it is made per response. */
class UnmeteredCount implements UnmeteredResponse {
  bytes = 0;
  private open = true;

  constructor(
    private readonly stats: UnmeteredStats,
    private readonly vhost: UnmeteredVhost,
    private readonly session: UnmeteredSession,
  ) {}

  add(n: number): void {
    // A few additions per write, no clock: nothing else is done per chunk (docs/observability.md).
    this.bytes += n;
    this.vhost.bytesSent += n;
    this.vhost.pending += n;
    const s = this.session;
    s.bytesSent += n;
    if ((s.pending += n) >= BATCH_BYTES) this.stats.settle(this.vhost, s);
  }

  end(): void {
    if (!this.open) return;
    this.open = false;
    const s = this.session;
    if (s.pending > 0) this.stats.settle(this.vhost, s);
    if (--s.responses === 0) this.vhost.active--;
  }
}

/**
 * The figures of responses the meter leaves alone (no BT, no cap, or a host that matches no
 * vhost), so that `stats()` shows every byte and every active session, not only the metered
 * ones (docs/observability.md). Keys are configured vhost names or `_unmatched` and session ids. A session
 * stays between the responses of its connection (a keep-alive client's next request finds it,
 * rate window and all); idle ones are swept once they outnumber the active ones by
 * {@link IDLE_SLACK}, so the state is bounded by the config and by open connections.
 */
export class UnmeteredStats {
  private readonly vhosts = new Map<string, UnmeteredVhost>();

  constructor(private readonly clock: () => number) {}

  /**
   * Starts counting a response of `session` on `vhost`. `client.ip` is read when the session
   * is first seen (a keep-alive connection's later responses do not ask Koa again).
   */
  open(vhost: string, session: string, client: { readonly ip?: string }, plan: Plan | null): UnmeteredResponse {
    let v = this.vhosts.get(vhost);
    if (!v) this.vhosts.set(vhost, (v = { bytesSent: 0, pending: 0, window: new RateWindow(), sessions: new Map(), active: 0 }));
    let s = v.sessions.get(session);
    if (!s) {
      if (v.sessions.size >= v.active * 2 + IDLE_SLACK) this.sweep(v);
      v.sessions.set(session, (s = { id: session, ip: client.ip ?? '', responses: 0, bytesSent: 0, pending: 0, plan, window: new RateWindow() }));
    }
    if (s.responses++ === 0) v.active++;
    s.plan = plan;
    return new UnmeteredCount(this, v, s);
  }

  /** Moves the bytes waiting for a session's (and its vhost's) rate windows into them, now. */
  settle(v: UnmeteredVhost, s: UnmeteredSession | null): void {
    const now = this.clock();
    if (v.pending > 0) v.window.add(now, v.pending);
    v.pending = 0;
    if (s === null || s.pending === 0) return;
    s.window.add(now, s.pending);
    s.pending = 0;
  }

  /** Vhosts with their bytes and rates (`cap` 0) and the sessions with a response in flight. */
  snapshot(): { vhosts: VhostStats[]; sessions: SessionStats[] } {
    const now = this.clock();
    const vhosts: VhostStats[] = [];
    const sessions: SessionStats[] = [];
    for (const [name, v] of this.vhosts) {
      for (const s of v.sessions.values()) {
        if (s.pending > 0) this.settle(v, s);
        if (s.responses === 0) continue;
        sessions.push({ id: s.id, vhost: name, ip: s.ip, rate: s.window.rate(now), bytesSent: s.bytesSent, responses: s.responses, throttled: false, plan: s.plan });
      }
      if (v.pending > 0) this.settle(v, null);
      vhosts.push({ name, cap: 0, rate: v.window.rate(now), bytesSent: v.bytesSent, activeSessions: v.active, throttledSessions: 0 });
    }
    return { vhosts, sessions };
  }

  /** Sessions with an unmetered response in flight, over all vhosts (for tests and leaks). */
  get activeSessions(): number {
    let n = 0;
    for (const v of this.vhosts.values()) n += v.active;
    return n;
  }

  /** Sessions kept, idle ones included (for tests of the bound). */
  get keptSessions(): number {
    let n = 0;
    for (const v of this.vhosts.values()) n += v.sessions.size;
    return n;
  }

  /** Forgets the idle sessions of a vhost (their bytes stay in its totals). */
  private sweep(v: UnmeteredVhost): void {
    for (const [id, s] of v.sessions) {
      if (s.responses > 0) continue;
      if (s.pending > 0) this.settle(v, s);
      v.sessions.delete(id);
    }
  }
}
