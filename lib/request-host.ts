import type { Context } from 'koa';

/**
 * `ctx.host`, which honours X-Forwarded-Host under `app.proxy` and `:authority` on HTTP/2.
 * Plain HTTP/1 without a proxy reads the Host header directly, as Koa's getter would, unless
 * the value needs Koa's handling (a list, userinfo): Koa's getter costs about 2 µs.
 */
export function requestHost(ctx: Context): string | undefined {
  const req = ctx.req;
  if (!ctx.app.proxy && req.httpVersionMajor < 2) {
    const h = req.headers.host;
    if (h !== undefined && h !== '' && !h.includes(',') && !h.includes('@')) return h;
  }
  try {
    return ctx.host;
  } catch {
    return undefined;
  }
}
