import type { SessionStats, StatsSnapshot, VhostStats } from '../types';

type Part = { vhosts: readonly VhostStats[]; sessions: readonly SessionStats[] };

/**
 * One snapshot from the meter's figures and the unmetered responses' figures, listing exactly
 * the given vhosts (the configured ones and `_unmatched`) with their configured caps. A
 * session with metered and unmetered responses in flight is one session: its rates, bytes
 * and responses add up, and its plan is the metered one's.
 */
export function mergeStats(time: number, names: ReadonlyArray<readonly [name: string, cap: number]>, parts: readonly Part[]): StatsSnapshot {
  const wanted = new Set(names.map(([n]) => n));
  const sessions = new Map<string, SessionStats>();
  for (const part of parts) {
    for (const s of part.sessions) {
      if (!wanted.has(s.vhost)) continue;
      const key = `${s.vhost}\n${s.id}`;
      const prev = sessions.get(key);
      if (!prev) sessions.set(key, { ...s });
      else {
        prev.rate += s.rate;
        prev.bytesSent += s.bytesSent;
        prev.responses += s.responses;
        prev.throttled ||= s.throttled;
        prev.plan ??= s.plan;
      }
    }
  }
  const totals = new Map<string, { rate: number; bytesSent: number; active: number; throttled: number }>();
  for (const [name] of names) totals.set(name, { rate: 0, bytesSent: 0, active: 0, throttled: 0 });
  for (const part of parts) {
    for (const v of part.vhosts) {
      const t = totals.get(v.name);
      if (!t) continue;
      t.rate += v.rate;
      t.bytesSent += v.bytesSent;
    }
  }
  for (const s of sessions.values()) {
    const t = totals.get(s.vhost) as { active: number; throttled: number };
    t.active++;
    if (s.throttled) t.throttled++;
  }
  const vhosts: VhostStats[] = names.map(([name, cap]) => {
    const t = totals.get(name) as { rate: number; bytesSent: number; active: number; throttled: number };
    return { name, cap, rate: t.rate, bytesSent: t.bytesSent, activeSessions: t.active, throttledSessions: t.throttled };
  });
  return { time, vhosts, sessions: [...sessions.values()] };
}
