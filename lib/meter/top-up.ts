import type { CapStore } from '../types';
import type { Vhost } from './flow';

/**
 * Keeps a vhost's local TrafficCap pool about `max(2 ticks, 100 ms)` of its cap ahead of need,
 * leasing from the store; a remote store (Redis) answers asynchronously, one lease at a time.
 */
export function topUp(v: Vhost, store: CapStore, tickMs: number): void {
  const target = (v.cap * Math.max(2 * tickMs, 100)) / 1000;
  if (v.leasing || v.pool >= target) return;
  const want = Math.ceil(target - v.pool);
  const r = store.lease(v.name, v.cap, want, v.sessions.size);
  if (typeof r === 'number') {
    v.pool += r;
    return;
  }
  v.leasing = true;
  r.then(
    (g) => {
      // A lease that arrives after the vhost went idle is not banked for its next session.
      if (v.sessions.size > 0) v.pool += g;
      v.leasing = false;
    },
    () => {
      v.leasing = false;
    },
  );
}
