import type { Context } from 'koa';
import type { SessionKey } from './meter/flow';

/** How responses are grouped into sessions for the session cap (SPEC §5). */
export type SessionMode = 'connection' | 'ip' | ((ctx: Context) => string);

/**
 * The session a request belongs to. `'connection'` (the default) is the socket, or on HTTP/2
 * the `Http2Session`, so every stream of one HTTP/2 connection is one session.
 *
 * @example
 * ```ts
 * const key = sessionKey(ctx, 'ip'); // 'ip:203.0.113.7'
 * ```
 */
export function sessionKey(ctx: Context, mode: SessionMode = 'connection'): SessionKey {
  if (typeof mode === 'function') return `fn:${mode(ctx)}`;
  if (mode === 'ip') return `ip:${ctx.ip}`;
  const req = ctx.req as typeof ctx.req & { stream?: { session?: object } };
  return req.stream?.session ?? req.socket;
}
