import { OptionError } from '../../lib/errors';
import { LEASE_SCRIPT } from '../../lib/store/lease-script';
import { connectRedis, scriptRunner, type ScriptRunner } from '../../lib/store/redis-client';
import { redisStore } from '../../lib/store/redis-store';
import { describeWithTools } from '../helpers/system';
import { REDIS_FLAVOURS, connectClient, sleep, startRedisServer, freeDeadPort, type RedisServer, type TestClient } from '../helpers/redis-server';

describe('redisStore options', () => {
  const client = { evalSha: async () => [0, '0', 0, '0'], eval: async () => [0, '0', 0, '0'] };

  it.each([
    [{ client: {} }, 'client', /node-redis \(v5\+\) or ioredis client/],
    [{ client, timeoutMs: 0 }, 'timeoutMs', /from 5 to 5000, got 0/],
    [{ client, leaseMs: 5000 }, 'leaseMs', /from 10 to 1000, got 5000/],
    [{ client, leaseMs: 100, processTtlMs: 200 }, 'processTtlMs', /from 400 to/],
    [{ client, fallbackProcesses: 0 }, 'fallbackProcesses', /from 1 to/],
    [{ client, prefix: '' }, 'prefix', /non-empty string/],
    [{ client, logger: console.log }, 'logger', /warn\(obj, msg\)/],
    [{ client, timeout: 100 }, 'timeout', /one of client, prefix/],
  ])('rejects %o naming `%s`', (opts, option, message) => {
    let err: unknown;
    try {
      redisStore(opts as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OptionError);
    expect((err as OptionError).code).toBe('ERR_BANDWIDTH_OPTION');
    expect((err as OptionError).option).toBe(option);
    expect((err as OptionError).message).toMatch(message);
  });

  it('leaves the caller’s options object alone', () => {
    const opts = Object.freeze({ client, leaseMs: 20 });
    expect(redisStore(opts).kind).toBe('redis');
  });

  it('answers without Redis when nothing is wanted or the vhost has no cap', () => {
    const store = redisStore({ client });
    expect(store.lease('a', 1000, 0, 1)).toBe(0);
    expect(store.lease('a', 0, 500, 1)).toBe(500);
  });
});

describeWithTools({ 'redis-server': 'redis-server' }, 'the lease script and the client adapter', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe.each(REDIS_FLAVOURS)('connectRedis preferring %s', (flavour) => {
    it('connects to a URL and the store leases through it', async () => {
      const redis = await connectRedis(`redis://127.0.0.1:${server.port}`, { prefer: flavour });
      try {
        expect(redis.flavour).toBe(flavour);
        const store = redisStore({ client: redis.client, logger: { warn: () => {} } });
        expect(await store.lease('url.example.com', 100_000, 1000, 1)).toBe(1000);
        expect(store.degraded).toBe(false);
        await store.close();
      } finally {
        await redis.close();
      }
    });

    it('returns within connectMs when Redis is down, and the store falls back at once', async () => {
      const t0 = performance.now();
      const redis = await connectRedis(`redis://127.0.0.1:${await freeDeadPort()}`, { prefer: flavour, connectMs: 300 });
      try {
        expect(performance.now() - t0).toBeLessThan(3000); // 3× the wait a quiet machine needs
        const store = redisStore({ client: redis.client, logger: { warn: () => {} } });
        const t1 = performance.now();
        await store.lease('down.example.com', 100_000, 1000, 1);
        expect(performance.now() - t1).toBeLessThan(750);
        expect(store.degraded).toBe(true);
        await store.close();
      } finally {
        await redis.close();
      }
    });
  });

  describe.each(REDIS_FLAVOURS)('with %s', (flavour) => {
    let c: TestClient;
    let run: ScriptRunner;
    beforeEach(async () => {
      c = await connectClient(flavour, server.port);
      run = scriptRunner(c.client, LEASE_SCRIPT);
    });
    afterEach(() => c.close());

    const CAP = 100_000;
    const call = (key: string, id: string, ask: number, weight: number, leaseMs = 50) =>
      run.run([key], [id, String(CAP), String(ask), String(weight), String(leaseMs), '3000']) as Promise<[number, string, number, string]>;

    it(`is detected as ${flavour}`, () => {
      expect(run.flavour).toBe(flavour);
    });

    it('loads the script with EVAL after NOSCRIPT, then runs it by EVALSHA', async () => {
      await server.command('SCRIPT', 'FLUSH');
      const [eval0, sha0] = [await server.calls('eval'), await server.calls('evalsha')];
      await call(`{t:${flavour}:load}:lease`, 'p', 10, 1);
      await call(`{t:${flavour}:load}:lease`, 'p', 10, 1);
      expect((await server.calls('eval')) - eval0).toBe(1);
      expect((await server.calls('evalsha')) - sha0).toBe(2);
    });

    it('returns integers, and the fractional rate and wait as strings', async () => {
      const key = `{t:${flavour}:frac}:lease`;
      await call(key, 'b', 1, 2); // b registers, in debt by 1 byte
      const [granted, rate, processes, wait] = await call(key, 'a', 1000, 1);
      expect(granted).toBe(1000);
      expect(typeof rate).toBe('string');
      expect(Number(rate)).toBeCloseTo(CAP / 3, 6); // a's weight among the processes not full
      expect(processes).toBe(2);
      expect(typeof wait).toBe('string');
      expect(Number(wait)).toBeGreaterThan(25); // 1000 bytes at 33 333 B/s ≈ 30 ms
      expect(Number(wait)).toBeLessThan(31);
    });

    it('hands an idle process’s share to the busy one (work-conserving rate)', async () => {
      const key = `{t:${flavour}:idle}:lease`;
      // 250 ms leases: idle counts as idle after 2 leases (500 ms) without a call, and a gap of
      // more than 4 (1 s) would look like a Redis pause, so the 700 ms sleep may overshoot by
      // 300 ms on a busy machine.
      await call(key, 'idle', 1, 3, 250);
      await call(key, 'busy', 1, 1, 250);
      await sleep(700); // idle's bucket (250 ms of its share) fills; it overflows to busy
      const [, rate] = await call(key, 'busy', 5000, 1, 250); // busy goes into debt
      expect(Number(rate)).toBe(CAP);
      const [, rate2] = await call(key, 'idle', 4000, 3, 250); // idle spends too: now both want
      expect(Number(rate2)).toBeCloseTo((CAP * 3) / 4, 6);
    });

    it('refuses a process in debt until refills pay it back', async () => {
      const key = `{t:${flavour}:debt}:lease`;
      const [g1] = await call(key, 'p', 5000, 1); // 50 ms of the cap, handed out whole
      const [g2, , , wait] = await call(key, 'p', 5000, 1);
      expect(g1).toBe(5000);
      expect(g2).toBe(0);
      expect(Number(wait)).toBeGreaterThan(30);
      expect(Number(wait)).toBeLessThanOrEqual(50);
      await sleep(Number(wait) + 5);
      const [g3] = await call(key, 'p', 5000, 1);
      expect(g3).toBe(5000);
    });

    it('drops a process that deregisters (ask < 0)', async () => {
      const key = `{t:${flavour}:dereg}:lease`;
      await call(key, 'p', 1, 1);
      await call(key, 'q', 1, 1);
      const [, , processes] = await call(key, 'p', -1, 1);
      expect(processes).toBe(1);
      expect(await server.command('HEXISTS', key, 'p')).toBe(':0\r\n');
    });
  });
});
