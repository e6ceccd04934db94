import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { redisStore, type RedisStore } from '../../lib/store/redis-store';
import { describeWithTools } from '../helpers/system';
import { REDIS_FLAVOURS, saturate, sleep, startRedisCluster, type RedisClusterServer, type RedisFlavour } from '../helpers/redis-server';

// docs/spec.md §6: keys are hash-tagged per vhost, so the one script call of a lease touches one slot
// and runs unchanged on a Redis Cluster, through either client's cluster mode.
const CAP = 1_000_000;

async function clusterClient(flavour: RedisFlavour, port: number): Promise<{ client: unknown; close(): Promise<void> }> {
  if (flavour === 'node-redis') {
    const { createCluster } = await import('redis');
    const client = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${port}` }], defaults: { disableOfflineQueue: true } });
    client.on('error', () => {});
    await client.connect();
    return { client, close: async () => client.destroy() };
  }
  const { Cluster } = await import('ioredis');
  const client = new Cluster([{ host: '127.0.0.1', port }], { enableOfflineQueue: false, redisOptions: { disconnectTimeout: 100 } });
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    setTimeout(() => reject(new Error('ioredis cluster did not connect')), 5000).unref();
  });
  return { client, close: async () => client.disconnect() };
}

describeWithTools({ 'redis-server': 'redis-server', 'redis-cli': 'redis-tools' }, 'redisStore on a Redis Cluster', () => {
  let cluster: RedisClusterServer;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kb-cluster-'));
    cluster = await startRedisCluster(dir);
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe.each(REDIS_FLAVOURS)('with the %s cluster client', (flavour) => {
    it('shares each vhost’s cap by sessions, whichever node holds the vhost', async () => {
      const clients = await Promise.all([clusterClient(flavour, cluster.ports[0]!), clusterClient(flavour, cluster.ports[1]!)]);
      const stores: RedisStore[] = clients.map((c) => redisStore({ client: c.client as never, logger: { warn: () => {} } }));
      try {
        const vhosts = ['a', 'b', 'c', 'd'].map((x) => `${flavour}-${x}.example.com`);
        const before = await cluster.calls('evalsha', 'eval');
        const t0 = performance.now();
        const runs = vhosts.map((v) => [saturate(stores[0]!, v, CAP, 3), saturate(stores[1]!, v, CAP, 1)] as const);
        await sleep(2000);
        await Promise.all(runs.flat().map((c) => c.stop()));
        const calls = (await cluster.calls('evalsha', 'eval')) - before;
        for (const [big, small] of runs) {
          const [b, s] = [big.bytes(t0 + 500, t0 + 2000), small.bytes(t0 + 500, t0 + 2000)];
          expect((b + s) / 1.5 / CAP).toBeGreaterThan(0.4);
          expect((b + s) / 1.5 / CAP).toBeLessThan(1.08);
          // 3 : 1 by sessions; an even split (1 : 1) would fail. Throughput only has to show.
          expect(b / s).toBeGreaterThan(1.5);
          expect(b / s).toBeLessThan(5);
        }
        expect(calls).toBeGreaterThan(50);
        expect(stores.every((s) => !s.degraded)).toBe(true);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await Promise.all(clients.map((c) => c.close()));
      }
    });
  });
});
