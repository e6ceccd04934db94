import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type { SessionKeySpec } from './config/session-key-spec';
import type { SessionKey } from './meter/flow';

/**
 * How responses are grouped into sessions for the session cap (docs/metering.md). `viewer`
 * groups by the viewer id of docs/segmented.md; the middleware computes it (see
 * {@link viewerSessionKey}), and here it falls back to the connection.
 */
export type SessionMode = 'connection' | 'ip' | 'viewer' | ((ctx: Context) => string);

/**
 * The session a request belongs to. `'connection'` (the default) is the socket, or on HTTP/2
 * the `Http2Session`, so every stream of one HTTP/2 connection is one session. `'ip'` is the
 * client address: `clientIp` when given (the middleware passes the address after trusted
 * proxies), else the socket's peer.
 *
 * @example
 * ```ts
 * const key = sessionKey(ctx, 'ip'); // 'ip:203.0.113.7'
 * ```
 */
export function sessionKey(ctx: Context, mode: SessionMode = 'connection', clientIp?: string): SessionKey {
  if (typeof mode === 'function') return `fn:${mode(ctx)}`;
  if (mode === 'ip') return `ip:${clientIp ?? ctx.req.socket?.remoteAddress ?? ''}`;
  return connectionOf(ctx);
}

function connectionOf(ctx: Context): SessionKey {
  const req = ctx.req as typeof ctx.req & { stream?: { session?: object } };
  return req.stream?.session ?? req.socket;
}

/** Header and cookie values longer than this are not a session key (the connection is). */
const MAX_VALUE = 1024;

/** What a session keyer sees of a request: plain data, so `explain` can ask too. */
export interface KeyerRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The URL as the client sent it (path and query). */
  url: string;
  /** The client address after trusted proxies; computed only when asked. */
  clientIp(): string;
  /** The viewer id of docs/segmented.md, where the middleware can tell it. */
  viewerId?(): string;
}

/**
 * Session keyers by `<SessionKey>` kind (lib/config/session-key-spec.ts lists the kinds; a
 * new kind is one entry there and one here): the session's id for a request. A keyer returns
 * null when the request lacks what it keys on, and for `connection`: then the connection is
 * the session. Header and cookie values are hashed: stats, records and metrics show the
 * session id, and a cookie is often a secret.
 */
const KEYERS: Record<string, (req: KeyerRequest, spec: SessionKeySpec) => string | null> = {
  connection: () => null,
  ip: (req) => `ip:${req.clientIp()}`,
  viewer: (req) => (req.viewerId ? (viewerSessionKey(req.viewerId()) as string) : null),
  header: (req, spec) => {
    const v = req.headers[spec.name ?? ''];
    const text = Array.isArray(v) ? v.join(', ') : v;
    return text === undefined || text === '' || text.length > MAX_VALUE ? null : `header:${spec.name}#${digest(text)}`;
  },
  cookie: (req, spec) => {
    const value = cookieValue(req.headers.cookie, spec.name ?? '');
    return value === null || value === '' || value.length > MAX_VALUE ? null : `cookie:${spec.name}#${digest(value)}`;
  },
};

/**
 * The session id a `<SessionKey>` gives a request, or null when the connection is the session
 * (`connection`, or the header or cookie is missing). Pure: `explain` shows it.
 *
 * @example
 * sessionIdOf({ kind: 'ip', text: 'ip' }, { headers: {}, url: '/', clientIp: () => '203.0.113.7' }) // 'ip:203.0.113.7'
 */
export function sessionIdOf(spec: SessionKeySpec, req: KeyerRequest): string | null {
  const keyer = Object.hasOwn(KEYERS, spec.kind) ? KEYERS[spec.kind] : undefined;
  return keyer ? keyer(req, spec) : null;
}

/**
 * The session of a request on a vhost: the vhost's `<SessionKey>` when it has one, else the
 * `session` option.
 */
export function sessionKeyFor(ctx: Context, spec: SessionKeySpec | null | undefined, mode: SessionMode, clientIp: () => string, viewerId?: () => string): SessionKey {
  if (spec == null) {
    if (mode === 'viewer' && viewerId) return viewerSessionKey(viewerId());
    return sessionKey(ctx, mode, mode === 'ip' ? clientIp() : undefined);
  }
  return sessionIdOf(spec, { headers: ctx.req.headers, url: ctx.originalUrl ?? ctx.req.url ?? '/', clientIp, ...(viewerId ? { viewerId } : {}) }) ?? connectionOf(ctx);
}

const digest = (v: string): string => createHash('sha256').update(v).digest('base64url').slice(0, 16);

/** The first value of cookie `name` in a Cookie header; null when absent. Never throws. */
export function cookieValue(header: string | string[] | undefined, name: string): string | null {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text || text.length > 16_384) return null;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return v;
  }
  return null;
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
