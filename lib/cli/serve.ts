import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ExampleServer, ExampleServerOptions } from '../../example-app/server';
import { connectRedis } from '../store/redis-client';
import { redisStore, type RedisStore } from '../store/redis-store';

/** A place to write text: the CLI's `(text) => void`, or a stream-like `{ write }`. */
export type Out = ((text: string) => void) | { write(text: string): unknown };

/** Where `serveCommand` writes; `signal` stops it like SIGINT does (for tests and embedding). */
export interface ServeIo {
  stdout: Out;
  stderr: Out;
  signal?: AbortSignal;
}

const USAGE = 'usage: koa-bandwidth serve --conf DIR --media DIR [--port 8080] [--host 127.0.0.1] [--redis URL]\n';

/**
 * `koa-bandwidth serve`: run the bundled example media server (docs/spec.md §7) until SIGINT or
 * SIGTERM. The flags are a contract other tools rely on.
 *
 * @returns the exit code: 0 after a clean shutdown, 1 when the server cannot start (bad
 * config, port in use), 2 for bad flags.
 * @example
 * ```sh
 * koa-bandwidth serve --conf example-app/conf --media example-app/media --port 8080
 * ```
 */
export async function serveCommand(argv: readonly string[], streams: ServeIo): Promise<number> {
  const io = { stdout: writer(streams.stdout), stderr: writer(streams.stderr), signal: streams.signal };
  let values: { conf?: string; media?: string; port?: string; host?: string; redis?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        conf: { type: 'string' },
        media: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        redis: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr(`koa-bandwidth serve: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (!values.conf || !values.media) {
    io.stderr(`koa-bandwidth serve: --conf and --media are required\n${USAGE}`);
    return 2;
  }
  for (const flag of ['conf', 'media'] as const) {
    const problem = dirProblem(values[flag] as string);
    if (problem) {
      io.stderr(`koa-bandwidth serve: --${flag} ${values[flag]}: ${problem}\n${USAGE}`);
      return 2;
    }
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '8080') || port > 65535) {
    io.stderr(`koa-bandwidth serve: --port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}\n`);
    return 2;
  }

  // koa, @koa/router and koa-send are optional peers of the package: the middleware needs
  // none of them but Koa, and an app brings its own. Name exactly what is missing.
  const missing = ['koa', '@koa/router', 'koa-send'].filter((name) => !resolvable(name));
  if (missing.length > 0) {
    io.stderr(`koa-bandwidth serve: the example server needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed. Run:\n  npm install ${missing.join(' ')}\n`);
    return 1;
  }
  let start: (opts: ExampleServerOptions) => Promise<ExampleServer>;
  try {
    // Loaded here, not at the top, so that `check`, `explain` and `probe` never load Koa
    // and the example's dev dependencies (@koa/router, koa-send).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ startExampleServer: start } = require('../../example-app/server') as { startExampleServer: typeof start });
  } catch (err) {
    io.stderr(
      `koa-bandwidth serve: cannot load the example server (${(err as Error).message}).\n` +
        'It needs koa, @koa/router and koa-send: npm install koa @koa/router koa-send\n',
    );
    return 1;
  }

  // --redis: one TrafficCap for every `serve` process on this Redis (docs/spec.md §6). The client runs
  // with its offline queue off, so an outage fails calls fast and the store's fallback takes over.
  let redis: { store: RedisStore; close(): Promise<void> } | null = null;
  if (values.redis !== undefined) {
    try {
      const conn = await connectRedis(values.redis);
      const store = redisStore({ client: conn.client, logger: { warn: (obj, msg) => io.stderr(`koa-bandwidth serve: ${msg ?? ''} ${JSON.stringify(obj)}\n`), info: (obj, msg) => io.stdout(`koa-bandwidth serve: ${msg ?? ''} ${JSON.stringify(obj)}\n`) } });
      redis = { store, close: async () => { await store.close(); await conn.close(); } };
      io.stdout(`koa-bandwidth serve: TrafficCap shared through ${conn.flavour} at ${values.redis}\n`);
    } catch (err) {
      io.stderr(`koa-bandwidth serve: --redis ${values.redis}: ${(err as Error).message}\n`);
      return 1;
    }
  }

  let server: ExampleServer;
  try {
    server = await start({
      conf: values.conf,
      media: values.media,
      port,
      host: values.host ?? '127.0.0.1',
      ...(redis ? { store: redis.store } : {}),
      onError: (err) => io.stderr(`koa-bandwidth serve: ${err.stack ?? err.message}\n`),
    });
  } catch (err) {
    const e = err as Error & { errors?: ReadonlyArray<{ format(): string }> };
    const details = e.errors ? e.errors.map((c) => `  ${c.format()}\n`).join('') : '';
    io.stderr(`koa-bandwidth serve: ${details ? 'invalid configuration' : e.message}\n${details}`);
    await redis?.close();
    return 1;
  }
  io.stdout(`koa-bandwidth serve: listening on ${server.url}\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop);
  });
  io.stdout('koa-bandwidth serve: shutting down\n');
  await server.close();
  await redis?.close();
  return 0;
}

/** Why `dir` cannot be used as a directory, or null when it can. */
function dirProblem(dir: string): string | null {
  try {
    return statSync(dir).isDirectory() ? null : 'not a directory';
  } catch {
    return 'no such directory';
  }
}

/** Whether `name` can be loaded from here (the package's own place, as the example server loads it). */
function resolvable(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

function writer(out: Out): (text: string) => void {
  return typeof out === 'function' ? out : (text) => void out.write(text);
}
