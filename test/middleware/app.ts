import Koa from 'koa';
import { bandwidth, type BandwidthOptions } from '../../lib/index';

/** A Koa app whose handler echoes what downstream sees: the plan and the URL. */
export function echoApp(opts: BandwidthOptions, extra?: (app: Koa) => void): { app: Koa; bw: ReturnType<typeof bandwidth> } {
  const app = new Koa();
  app.proxy = true; // tests set the client IP with X-Forwarded-For
  const bw = bandwidth(opts);
  app.use(bw);
  if (extra) extra(app);
  else app.use(echo);
  return { app, bw };
}

export function echo(ctx: Koa.Context): void {
  ctx.body = { plan: ctx.bandwidth?.plan ?? null, url: ctx.url, querystring: ctx.querystring, query: ctx.query, originalUrl: ctx.originalUrl };
}
