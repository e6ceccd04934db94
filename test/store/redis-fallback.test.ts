import { redisStore } from '../../lib/store/redis-store';

// The local fallback (docs/spec.md §6) with an injected clock and a client whose Redis is down:
// cap ÷ known processes, a bounded burst, no dribbles, one warning, and back when Redis is.
describe('redisStore fallback while Redis is down', () => {
  function setup(fallbackProcesses: number) {
    let now = 0;
    let up = false;
    const calls: string[][] = [];
    const reply = (args: string[]) => (up ? Promise.resolve([Number(args[2]), '500', 3, '0']) : Promise.reject(new Error('connect ECONNREFUSED')));
    const client = {
      evalSha: (_sha: string, o: { keys: string[]; arguments: string[] }) => (calls.push(o.arguments), reply(o.arguments)),
      eval: (_s: string, o: { keys: string[]; arguments: string[] }) => (calls.push(o.arguments), reply(o.arguments)),
    };
    const warns: string[] = [];
    const infos: string[] = [];
    const store = redisStore({
      client,
      clock: () => now,
      leaseMs: 50,
      probeMs: 250,
      fallbackProcesses,
      logger: { warn: (_o, m) => warns.push(m ?? ''), info: (_o, m) => infos.push(m ?? '') },
    });
    return {
      store,
      calls,
      warns,
      infos,
      at: (ms: number) => void (now = ms),
      up: () => void (up = true),
    };
  }

  // cap 1000 B/s over 2 processes = 500 B/s; burst 4 leases = 100 B; no grant under 5 B (10 ms).
  it.each([
    { steps: [[0, 100, 0]], note: 'the first failure starts an empty bucket' },
    { steps: [[0, 100, 0], [100, 100, 50]], note: '100 ms at 500 B/s' },
    { steps: [[0, 100, 0], [1000, 30, 30], [1000, 100, 70]], note: 'a long gap banks only the burst' },
    { steps: [[0, 100, 0], [1000, 100, 100], [1006, 100, 0], [1010, 100, 5]], note: 'no dribbles under 10 ms worth' },
    { steps: [[0, 3, 0], [100, 3, 3], [100, 3, 3]], note: 'small wants are served whole' },
  ])('$note', async ({ steps }) => {
    const t = setup(2);
    for (const [ms, want, granted] of steps as Array<[number, number, number]>) {
      t.at(ms);
      expect(await t.store.lease('v', 1000, want, 7)).toBe(granted);
    }
    expect(t.store.degraded).toBe(true);
    expect(t.warns).toHaveLength(1);
    expect(t.warns[0]).toMatch(/ECONNREFUSED.*cap ÷ 2/);
    await t.store.close();
  });

  it('tries Redis at most once per probeMs, then recovers and leases from Redis again', async () => {
    const t = setup(1);
    const states: boolean[] = [];
    t.store.on('state', (s: { degraded: boolean }) => states.push(s.degraded));
    t.at(0);
    await t.store.lease('v', 1000, 10, 1);
    for (let ms = 10; ms < 500; ms += 10) {
      t.at(ms);
      await t.store.lease('v', 1000, 10, 1);
    }
    expect(t.calls).toHaveLength(2); // the first failure, and one probe at 250 ms
    t.up();
    t.at(500);
    await t.store.lease('v', 1000, 10, 1); // the probe at 500 ms succeeds in the background
    await new Promise((r) => setImmediate(r));
    expect(t.store.degraded).toBe(false);
    expect(states).toEqual([true, false]);
    expect(t.infos).toHaveLength(1);
    t.at(600);
    // The probe's 10 bytes wait in the pool; asking for more leases 50 ms of the rate Redis
    // reported (500 B/s → 25 B), and the session count goes to Redis as the weight.
    expect(await t.store.lease('v', 1000, 30, 4)).toBe(30);
    expect(t.calls.at(-1)?.slice(2, 4)).toEqual(['25', '4']);
    await t.store.close();
  });
});
