import fs from 'node:fs';
import path from 'node:path';
import Koa from 'koa';
import Router from '@koa/router';
import send from 'koa-send';
import { bandwidth, route, statsEndpoints } from 'koa-bandwidth';
import type { CapStore, StatsSnapshot } from 'koa-bandwidth';
import { sendMedia } from './send-media';
import { callRoutes } from './call';

export interface ExampleAppOptions {
  /** Config directory: server.xml, vhosts.xml, svc/<vhost>/throttling.txt. */
  conf: string;
  /** Directory whose files are served. */
  media: string;
  /** Cross-process TrafficCap store; the package's in-memory store by default. */
  store?: CapStore;
  /** How often `/_bandwidth/events` sends a snapshot, ms. Default 500. */
  statsIntervalMs?: number;
  /** A config change that failed validation (the old config stays in force). Default: stderr. */
  onConfigError?: (err: Error) => void;
}

export interface ExampleApp {
  app: Koa;
  /** The bandwidth middleware's snapshot. */
  stats(): StatsSnapshot;
  /** Stop config watching and timers. Does not close an HTTP server. */
  close(): Promise<void>;
}

/** The page's files: beside this module in the sources, or in the package from dist/. */
const PUBLIC = [path.join(__dirname, 'public'), path.join(__dirname, '..', '..', 'example-app', 'public')]
  .find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? path.join(__dirname, 'public');

/**
 * The example media server: a Koa app that serves a media directory with Range support,
 * throttled by koa-bandwidth, plus a page with players and a live chart.
 *
 * - `/` the page, `/_ui/*` its scripts, `/_bandwidth/stats|events` the live numbers: all
 *   mounted before the bandwidth middleware, so they never show up as sessions.
 * - `/vod/*` the media rate (`x`), `/download/*` a fixed 400 kbps, `/api/*` never
 *   throttled, and every other path serves the media directory under the vhost's rules.
 *
 * @example
 * ```ts
 * const { app } = createExampleApp({ conf: 'example-app/conf', media: 'example-app/media' });
 * app.listen(8080, '127.0.0.1');
 * ```
 */
export function createExampleApp(opts: ExampleAppOptions): ExampleApp {
  const media = path.resolve(opts.media);
  const limiter = bandwidth({ conf: opts.conf, ...(opts.store ? { store: opts.store } : {}) });
  // An edited config that does not validate is rejected and reported; serving goes on.
  limiter.events.on('error', opts.onConfigError ?? ((err: Error) => process.stderr.write(`example-app: config rejected: ${err.message}\n`)));
  const app = new Koa();

  const ui = new Router();
  ui.get('/', (ctx) => send(ctx, 'index.html', { root: PUBLIC }));
  // hls.js for the page's HLS player, from node_modules when it is installed (a dev dependency).
  ui.get('/_ui/vendor/hls.js', async (ctx) => {
    const file = hlsJs();
    if (file === null) return;
    await send(ctx, path.basename(file), { root: path.dirname(file) });
    ctx.set('Cache-Control', 'no-cache');
  });
  ui.get('/_ui/{*file}', async (ctx) => {
    await sendMedia(ctx, PUBLIC, ctx.path.slice('/_ui/'.length));
    ctx.set('Cache-Control', 'no-cache');
  });
  app.use(ui.routes());
  // /_bandwidth/stats (JSON), /metrics (Prometheus) and /events (SSE, the page's chart),
  // mounted before the limiter: the page's own event stream is not media to chart.
  const live = statsEndpoints(limiter, { intervalMs: opts.statsIntervalMs ?? 500 });
  app.use(live);

  app.use(limiter);

  // The call page's signalling (public/call.html): the same plans, written into the SDP.
  app.use(callRoutes().routes());

  // Per-route overrides sit between the query string and the rules (docs/spec.md §3).
  const files = new Router();
  const from = (prefix: string) => async (ctx: Koa.Context): Promise<void> => {
    await sendMedia(ctx, media, ctx.path.slice(prefix.length));
  };
  files.get('/api/media', route({ bandwidth: 'no' }), async (ctx) => {
    ctx.body = await listMedia(media);
  });
  files.get('/api/media/{*file}', route({ bandwidth: 'no' }), from('/api/media/'));
  files.get('/vod/{*file}', route({ bandwidth: 'x' }), from('/vod/'));
  files.get('/download/{*file}', route({ bandwidth: '400kbps' }), from('/download/'));
  files.get('/{*file}', from('/'));
  app.use(files.routes());
  app.use(files.allowedMethods());

  return {
    app,
    stats: () => limiter.stats(),
    close: async () => {
      live.close();
      await limiter.close();
    },
  };
}

/** The media directory's visible files, for `GET /api/media`. */
async function listMedia(dir: string): Promise<Array<{ name: string; size: number }>> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
  return Promise.all(files.map(async (name) => ({ name, size: (await fs.promises.stat(path.join(dir, name))).size })));
}

/** hls.js's browser build (the full one: the light build has no CMCD), or null when the package is not installed. */
function hlsJs(): string | null {
  try {
    return require.resolve('hls.js/dist/hls.min.js');
  } catch {
    return null;
  }
}
