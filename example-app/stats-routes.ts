import Router from '@koa/router';
import { PassThrough } from 'node:stream';
import type { StatsSnapshot } from 'koa-bandwidth';

export interface StatsRoutesOptions {
  /** Where snapshots come from: the bandwidth middleware's `.stats()`. */
  stats: () => StatsSnapshot;
  /** How often the event stream sends a snapshot, ms. Default 500. */
  intervalMs?: number;
}

/**
 * `GET /_bandwidth/stats` (one JSON snapshot) and `GET /_bandwidth/events` (server-sent
 * events, one `stats` event per interval) for the example page's live chart.
 *
 * Mount these before the bandwidth middleware: the page's own event stream is not media
 * and should not show up as a session on the chart it feeds.
 */
export function statsRoutes(opts: StatsRoutesOptions): Router {
  const intervalMs = opts.intervalMs ?? 500;
  const router = new Router({ prefix: '/_bandwidth' });

  router.get('/stats', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = opts.stats();
  });

  router.get('/events', (ctx) => {
    const out = new PassThrough();
    const push = (): void => {
      out.write(`event: stats\ndata: ${JSON.stringify(opts.stats())}\n\n`);
    };
    // A comment line first so that proxies and EventSource see the stream open at once.
    out.write(`retry: 2000\n: koa-bandwidth stats every ${intervalMs} ms\n\n`);
    push();
    const timer = setInterval(push, intervalMs);
    timer.unref();
    const stop = (): void => clearInterval(timer);
    out.once('close', stop);
    ctx.req.once('close', () => {
      stop();
      out.destroy();
    });

    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Accel-Buffering', 'no');
    ctx.type = 'text/event-stream';
    ctx.body = out;
  });

  return router;
}
