import type { Context } from 'koa';
import type { MeteredBody } from './meter/metered-body';

/** Statuses that carry no body (RFC 9110 §15): Koa ends these without one. */
const EMPTY = new Set([204, 205, 304]);

/**
 * Koa 3 answers a stream body with `stream.pipeline(body, res)`, which keeps an
 * AbortController, four end-of-stream watchers and their closures for as long as the response
 * lasts: 8.6 KiB of the 29.5 KiB a session held at 10,000 slow downloads (docs/performance.md).
 * A metered body that writes straight to its socket needs none of it; Koa 2 answered with
 * `body.pipe(res)`.
 *
 * Koa's `respond()` reads `ctx.respond` first, once the whole middleware chain has run, and
 * nothing else in Koa reads it. So a metered body puts a getter there: read while the body is
 * still the response's and the response is an ordinary one (writable, not HEAD, a status with
 * a body, the body able to write directly), it starts the body with `body.pipe(res)` and
 * answers `false`, and Koa does nothing more. Set by anyone (a middleware taking the response
 * over), or read in any other state, it is a plain property, and Koa responds as usual.
 */
export function respondDirectly(ctx: Context, body: MeteredBody): void {
  let value: boolean | undefined = ctx.respond;
  if (value !== undefined) return;
  Object.defineProperty(ctx, 'respond', {
    configurable: true,
    enumerable: false,
    get(): boolean | undefined {
      if (value !== undefined || !startable(ctx, body)) return value;
      Object.defineProperty(ctx, 'respond', { value: false, writable: true, configurable: true, enumerable: true });
      // What Koa's pipeline callback does with an error of the body.
      body.once('error', (err: Error) => {
        if (ctx.app.listenerCount('error')) ctx.onerror(err);
      });
      body.pipe(ctx.res);
      return false;
    },
    set(v: boolean | undefined) {
      value = v;
    },
  });
}

function startable(ctx: Context, body: MeteredBody): boolean {
  return ctx.body === body && ctx.writable && ctx.method !== 'HEAD' && !EMPTY.has(ctx.status) && body.canWriteDirectTo(ctx.res);
}
