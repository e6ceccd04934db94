import type { Context } from 'koa';
import type { SessionKey } from './meter/flow';

/**
 * How responses are grouped into sessions for the session cap (docs/metering.md). `viewer`
 * groups by the viewer id of docs/segmented.md; the middleware computes it (see
 * {@link viewerSessionKey}), and here it falls back to the connection.
 */
export type SessionMode = 'connection' | 'ip' | 'viewer' | ((ctx: Context) => string);

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

/**
 * The session key of a viewer (docs/segmented.md): one string per viewer id, so every
 * request of a viewer joins one session, across connections.
 *
 * @example
 * ```ts
 * viewerSessionKey('6e2fb550'); // 'v:6e2fb550'
 * ```
 */
export function viewerSessionKey(viewerId: string): SessionKey {
  return `v:${viewerId}`;
}
