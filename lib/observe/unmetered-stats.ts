import { RateWindow } from '../meter/rate-window';
import type { Plan, SessionStats, VhostStats } from '../types';

/** Counts one response that the meter does not carry; `end()` once it is over. */
export interface UnmeteredResponse {
  readonly bytes: number;
  add(n: number): void;
  end(): void;
}

interface UnmeteredSession {
  readonly id: string;
  readonly ip: string;
  responses: number;
  bytesSent: number;
  plan: Plan | null;
  readonly window: RateWindow;
}

interface UnmeteredVhost {
  bytesSent: number;
  readonly window: RateWindow;
  readonly sessions: Map<string, UnmeteredSession>;
}

/** One response's counter: a class, not a literal with closures, as it is made per response. */
class UnmeteredCount implements UnmeteredResponse {
  bytes = 0;
  private open = true;

  constructor(
    private readonly vhost: UnmeteredVhost,
    private readonly session: UnmeteredSession,
    private readonly clock: () => number,
  ) {}

  add(n: number): void {
    // One addition per write: nothing else is done per chunk (issue 7).
    const now = this.clock();
    this.bytes += n;
    this.vhost.bytesSent += n;
    this.vhost.window.add(now, n);
    this.session.bytesSent += n;
    this.session.window.add(now, n);
  }

  end(): void {
    if (!this.open) return;
    this.open = false;
    const s = this.session;
    if (--s.responses === 0 && this.vhost.sessions.get(s.id) === s) this.vhost.sessions.delete(s.id);
  }
}

/**
 * The figures of responses the meter leaves alone (no BT, no cap, or a host that matches no
 * vhost), so that `stats()` shows every byte and every active session, not only the metered
 * ones (issue 7). Keys are configured vhost names or `_unmatched` and the ids of sessions with
 * a response in flight: the state is bounded by the config and by open connections.
 */
export class UnmeteredStats {
  private readonly vhosts = new Map<string, UnmeteredVhost>();

  constructor(private readonly clock: () => number) {}

  /** Starts counting a response of `session` on `vhost`. */
  open(vhost: string, session: string, ip: string, plan: Plan | null): UnmeteredResponse {
    let v = this.vhosts.get(vhost);
    if (!v) this.vhosts.set(vhost, (v = { bytesSent: 0, window: new RateWindow(), sessions: new Map() }));
    let s = v.sessions.get(session);
    if (!s) v.sessions.set(session, (s = { id: session, ip, responses: 0, bytesSent: 0, plan, window: new RateWindow() }));
    s.responses++;
    s.plan = plan;
    return new UnmeteredCount(v, s, this.clock);
  }

  /** Vhosts with their bytes and rates (`cap` 0) and the sessions with a response in flight. */
  snapshot(): { vhosts: VhostStats[]; sessions: SessionStats[] } {
    const now = this.clock();
    const vhosts: VhostStats[] = [];
    const sessions: SessionStats[] = [];
    for (const [name, v] of this.vhosts) {
      vhosts.push({ name, cap: 0, rate: v.window.rate(now), bytesSent: v.bytesSent, activeSessions: v.sessions.size, throttledSessions: 0 });
      for (const s of v.sessions.values()) {
        sessions.push({ id: s.id, vhost: name, ip: s.ip, rate: s.window.rate(now), bytesSent: s.bytesSent, responses: s.responses, throttled: false, plan: s.plan });
      }
    }
    return { vhosts, sessions };
  }

  /** Sessions with an unmetered response in flight, over all vhosts (for tests and leaks). */
  get activeSessions(): number {
    let n = 0;
    for (const v of this.vhosts.values()) n += v.sessions.size;
    return n;
  }
}
