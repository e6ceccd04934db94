'use strict';
// A node:cluster media server whose workers share one 20 Mbps TrafficCap through Redis
// (docs/redis.md). It is the example of the docs, and test/fleet/*.test.ts run it for real.
//
//   npm run build   # the script loads the package by name, i.e. from dist/
//   REDIS_URL=redis://127.0.0.1:6379 MEDIA=./media node bench/fleet.js
//
// Environment:
//   REDIS_URL     default redis://127.0.0.1:6379
//   REDIS_CLIENT  `redis` (node-redis, default) or `ioredis`
//   WORKERS       default os.availableParallelism()
//   PORT          default 8080, shared by the workers (the primary hands out connections).
//                 PORT=0: each worker listens on a port of its own (tests aim load at one worker).
//   MEDIA         directory served with koa-send; default the current directory
//   CAP_MBPS      the vhost's TrafficCap in Mbps, default 20
// The primary prints one JSON line per event: {type:'listening', pid, port}, and
// {type:'state', pid, degraded, reason?, t} whenever a worker's store degrades or recovers.
const cluster = require('node:cluster');
const os = require('node:os');
const { performance } = require('node:perf_hooks');

const now = () => performance.timeOrigin + performance.now();

if (cluster.isPrimary) {
  const workers = Number(process.env.WORKERS ?? os.availableParallelism());
  let stopping = false;
  const print = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('message', (_worker, msg) => print(msg));
  // Replace a crashed worker, but not while shutting down.
  cluster.on('exit', (_worker, code) => !stopping && code !== 0 && cluster.fork());
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
    cluster.on('exit', () => Object.keys(cluster.workers ?? {}).length === 0 && process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const Koa = require('koa');
  const send = require('koa-send');
  const { bandwidth, redisStore } = require('koa-bandwidth');

  // Reconnect quickly, and never wait more than 500 ms between attempts: both clients back off
  // to 2 s (node-redis) or 5 s (ioredis) by default, which would delay recovery by as much.
  const backoff = (n) => Math.min(50 * 2 ** n, 500);
  const connect = async (url) => {
    if (process.env.REDIS_CLIENT === 'ioredis') {
      const { Redis } = require('ioredis');
      // Offline queue off, and no retry of commands in flight: see "Turn the client's offline queue off".
      const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: backoff, disconnectTimeout: 100 });
      client.on('error', () => {}); // the store reports outages, once per change
      await new Promise((resolve) => client.once('ready', resolve));
      return { client, close: async () => client.disconnect() };
    }
    const { createClient } = require('redis');
    const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: backoff } });
    client.on('error', () => {});
    await client.connect();
    return { client, close: async () => client.isOpen && client.destroy() };
  };

  (async () => {
    const redis = await connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    // REDIS_TIMEOUT_MS: the store's per-call deadline (default 100 ms).
    const timeoutMs = process.env.REDIS_TIMEOUT_MS ? Number(process.env.REDIS_TIMEOUT_MS) : undefined;
    const store = redisStore({ client: redis.client, timeoutMs, logger: { warn: () => {}, info: () => {} } });
    store.on('state', (s) => process.send({ type: 'state', pid: process.pid, ...s, t: now() }));

    const media = process.env.MEDIA ?? process.cwd();
    const app = new Koa();
    // Koa 3 reports every client abort of a stream body (here: every download the test stops)
    // to app.onerror, which prints it; print the rest only.
    app.silent = true;
    app.on('error', (err) => {
      if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
      console.error(err);
    });
    app.use(
      bandwidth({
        config: { vhosts: [{ name: 'media', options: { trafficCap: Number(process.env.CAP_MBPS ?? 20) } }], default: 'media' },
        store,
      }),
    );
    app.use(async (ctx) => {
      await send(ctx, ctx.path, { root: media });
    });

    const port = Number(process.env.PORT ?? 8080);
    const server = app.listen({ port, host: '127.0.0.1', exclusive: port === 0 }, () => {
      process.send({ type: 'listening', pid: process.pid, port: server.address().port });
    });

    const shutdown = async () => {
      server.close();
      server.closeAllConnections();
      await store.close(); // leave the fleet now rather than after processTtlMs
      await redis.close();
      process.exit(0);
    };
    process.on('SIGTERM', shutdown);
    process.on('disconnect', shutdown); // the primary is gone
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
