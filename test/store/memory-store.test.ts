import { OptionError } from '../../lib/errors';
import { memoryStore } from '../../lib/store/memory-store';

describe('memoryStore', () => {
  it('grants a vhost its cap over time, never more, synchronously', () => {
    let now = 0;
    const store = memoryStore({ clock: () => now });
    expect(store.kind).toBe('memory');
    expect(store.lease('v', 10_000, 5000, 1)).toBe(0);
    let got = 0;
    for (let i = 0; i < 100; i++) {
      now += 20;
      got += store.lease('v', 10_000, 1e9, 3) as number;
    }
    expect(got).toBeGreaterThanOrEqual(19_990);
    expect(got).toBeLessThanOrEqual(20_000);
  });

  it.each([
    { idleMs: 100, want: 1000 },
    { idleMs: 250, want: 2500 },
    { idleMs: 251, want: 0 },
    { idleMs: 60_000, want: 0 },
  ])('makes up at most burstSeconds of a late lease, and banks nothing over idleness: after $idleMs ms it grants $want', ({ idleMs, want }) => {
    let now = 0;
    const store = memoryStore({ clock: () => now, burstSeconds: 0.25 });
    store.lease('v', 10_000, 1, 1);
    now += idleMs;
    expect(store.lease('v', 10_000, 1e9, 1)).toBe(want);
  });

  it('restarts an idle vhost empty, then grants its cap over time again', () => {
    let now = 0;
    const store = memoryStore({ clock: () => now });
    store.lease('v', 10_000, 1, 1);
    now += 5000;
    expect(store.lease('v', 10_000, 1e9, 1)).toBe(0);
    let got = 0;
    for (let i = 0; i < 50; i++) {
      now += 20;
      got += store.lease('v', 10_000, 1e9, 1) as number;
    }
    expect(got).toBeGreaterThanOrEqual(9990);
    expect(got).toBeLessThanOrEqual(10_000);
  });

  it('keeps vhosts apart and grants no more than wanted', () => {
    let now = 0;
    const store = memoryStore({ clock: () => now });
    store.lease('a', 1000, 1, 1);
    store.lease('b', 1000, 1, 1);
    now = 200;
    expect(store.lease('a', 1000, 100, 1)).toBe(100);
    expect(store.lease('b', 1000, 1e9, 1)).toBe(200);
  });

  it.each([{ burstSeconds: 0 }, { burstSeconds: -1 }, { burstSeconds: Number.NaN }, { burstSeconds: 11 }])('rejects %o with an OptionError', (opts) => {
    expect(() => memoryStore(opts)).toThrow(OptionError);
  });

  it('rejects unknown options', () => {
    expect(() => memoryStore({ burst: 1 } as never)).toThrow(/burst/);
  });
});
