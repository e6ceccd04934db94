import { mergeStats } from '../../lib/observe/merge-stats';
import { UnmeteredStats } from '../../lib/observe/unmetered-stats';
import type { Plan, SessionStats, VhostStats } from '../../lib/types';

const plan = (vhost: string): Plan => ({ vhost, throttle: true, rule: null, bandwidth: 1000, ratio: 100, boostSeconds: 0, boostBytes: 0, rate: 1000, dynamic: false, sessionCap: 0, trafficCap: 0 });
const v = (name: string, rate: number, bytesSent: number): VhostStats => ({ name, cap: 999, rate, bytesSent, activeSessions: 99, throttledSessions: 99 });
const s = (id: string, vhost: string, rate: number, bytesSent: number, throttled: boolean, p: Plan | null = null): SessionStats => ({ id, vhost, ip: '::1', rate, bytesSent, responses: 1, throttled, plan: p });

describe('mergeStats', () => {
  const names = [['a', 100] as const, ['_unmatched', 0] as const];

  it.each<[string, Parameters<typeof mergeStats>[2], object[], number]>([
    ['nothing seen yet', [], [{ name: 'a', cap: 100, rate: 0, bytesSent: 0, activeSessions: 0, throttledSessions: 0 }, { name: '_unmatched', cap: 0, rate: 0, bytesSent: 0, activeSessions: 0, throttledSessions: 0 }], 0],
    [
      'metered and unmetered figures add up; the configured cap wins',
      [
        { vhosts: [v('a', 10, 1000)], sessions: [s('c1', 'a', 10, 1000, true)] },
        { vhosts: [v('a', 5, 500), v('_unmatched', 1, 7)], sessions: [s('c2', 'a', 5, 500, false), s('c3', '_unmatched', 1, 7, false)] },
      ],
      [{ name: 'a', cap: 100, rate: 15, bytesSent: 1500, activeSessions: 2, throttledSessions: 1 }, { name: '_unmatched', cap: 0, rate: 1, bytesSent: 7, activeSessions: 1, throttledSessions: 0 }],
      3,
    ],
    [
      'a session in both parts is one session',
      [
        { vhosts: [v('a', 10, 1000)], sessions: [s('c1', 'a', 10, 1000, true, plan('a'))] },
        { vhosts: [v('a', 5, 500)], sessions: [s('c1', 'a', 5, 500, false)] },
      ],
      [{ name: 'a', cap: 100, rate: 15, bytesSent: 1500, activeSessions: 1, throttledSessions: 1 }, { name: '_unmatched', cap: 0, rate: 0, bytesSent: 0, activeSessions: 0, throttledSessions: 0 }],
      1,
    ],
    [
      'a vhost a reload removed is left out, with its sessions',
      [{ vhosts: [v('gone', 10, 1000)], sessions: [s('c1', 'gone', 10, 1000, true)] }],
      [{ name: 'a', cap: 100, rate: 0, bytesSent: 0, activeSessions: 0, throttledSessions: 0 }, { name: '_unmatched', cap: 0, rate: 0, bytesSent: 0, activeSessions: 0, throttledSessions: 0 }],
      0,
    ],
  ])('%s', (_name, parts, vhosts, sessionCount) => {
    const snap = mergeStats(42, names, parts);
    expect(snap.time).toBe(42);
    expect(snap.vhosts).toEqual(vhosts);
    expect(snap.sessions).toHaveLength(sessionCount);
  });

  it('sums a shared session and keeps the metered plan', () => {
    const snap = mergeStats(0, names, [
      { vhosts: [], sessions: [s('c1', 'a', 10, 1000, true, plan('a'))] },
      { vhosts: [], sessions: [{ ...s('c1', 'a', 5, 500, false), responses: 2 }] },
    ]);
    expect(snap.sessions[0]).toEqual({ id: 'c1', vhost: 'a', ip: '::1', rate: 15, bytesSent: 1500, responses: 3, throttled: true, plan: plan('a') });
  });
});

describe('UnmeteredStats', () => {
  it('counts bytes as they are written, and shows a session only while it has a response in flight', () => {
    let now = 10_000;
    const u = new UnmeteredStats(() => now);
    const r1 = u.open('a', 'c1', { ip: '::1' }, null);
    const r2 = u.open('a', 'c1', { ip: '::1' }, plan('a'));
    r1.add(1000);
    now += 300;
    r2.add(500);
    expect(r1.bytes).toBe(1000);
    let snap = u.snapshot();
    expect(snap.vhosts).toEqual([{ name: 'a', cap: 0, rate: 1500, bytesSent: 1500, activeSessions: 1, throttledSessions: 0 }]);
    expect(snap.sessions).toEqual([{ id: 'c1', vhost: 'a', ip: '::1', rate: 1500, bytesSent: 1500, responses: 2, throttled: false, plan: plan('a') }]);
    r1.end();
    r1.end(); // twice is once
    expect(u.activeSessions).toBe(1);
    r2.end();
    expect(u.activeSessions).toBe(0);
    // A second later the rate has gone; the bytes stay.
    now += 1100;
    snap = u.snapshot();
    expect(snap.vhosts[0]).toMatchObject({ rate: 0, bytesSent: 1500, activeSessions: 0 });
    expect(snap.sessions).toEqual([]);
  });

  it('keeps a connection’s session between its responses: one rate window across keep-alive requests', () => {
    let now = 10_000;
    const u = new UnmeteredStats(() => now);
    for (let i = 0; i < 5; i++) {
      const r = u.open('a', 'c1', { ip: '::1' }, null);
      r.add(1000);
      r.end();
      now += 100;
    }
    expect(u.activeSessions).toBe(0);
    expect(u.keptSessions).toBe(1);
    const r = u.open('a', 'c1', { ip: '::1' }, plan('a'));
    const snap = u.snapshot();
    // The five earlier responses (within the last second) count toward the session's rate.
    expect(snap.sessions).toEqual([{ id: 'c1', vhost: 'a', ip: '::1', rate: 5000, bytesSent: 5000, responses: 1, throttled: false, plan: plan('a') }]);
    expect(snap.vhosts[0]).toMatchObject({ rate: 5000, bytesSent: 5000, activeSessions: 1 });
    r.end();
  });

  it('feeds the rate windows in batches, yet totals are exact at once and rates once read', () => {
    let now = 50_000;
    const u = new UnmeteredStats(() => now);
    const reads: number[] = [];
    const clocked = new UnmeteredStats(() => (reads.push(now), now));
    const r = clocked.open('a', 'c1', { ip: '::1' }, null);
    for (let i = 0; i < 100; i++) r.add(100); // 10 KB in small writes: no clock read per write
    expect(reads).toHaveLength(0);
    expect(clocked.snapshot().vhosts[0]).toMatchObject({ bytesSent: 10_000, rate: 10_000 });
    for (let i = 0; i < 20; i++) r.add(4096); // a batch of 64 KiB reaches the windows on its own
    expect(reads.length).toBeGreaterThan(1);
    r.end();
    expect(clocked.snapshot().vhosts[0]).toMatchObject({ bytesSent: 10_000 + 20 * 4096, rate: 10_000 + 20 * 4096 });
    // Rates still age out: bytes settled at end() are in the slot of the end.
    const q = u.open('a', 'c2', { ip: '::1' }, null);
    q.add(300);
    q.end();
    now += 1100;
    expect(u.snapshot().vhosts[0]).toMatchObject({ bytesSent: 300, rate: 0 });
  });

  it('stays bounded under many short connections: idle sessions are swept', () => {
    const u = new UnmeteredStats(() => 0);
    const live = Array.from({ length: 10 }, (_, i) => u.open('a', `live${i}`, { ip: '::1' }, null));
    for (let i = 0; i < 20_000; i++) u.open('a', `c${i}`, { ip: '::1' }, null).end();
    expect(u.activeSessions).toBe(10);
    expect(u.keptSessions).toBeLessThanOrEqual(2 * 10 + 256);
    expect(u.snapshot().sessions.map((s) => s.id).sort()).toEqual(live.map((_, i) => `live${i}`).sort());
    for (const r of live) r.end();
  });
});
