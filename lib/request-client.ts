import type { Context } from 'koa';
import { resolveClientAddress, type ClientAddress, type TrustedProxies } from './policy/trusted-proxies';

const cache = new WeakMap<object, { trusted: TrustedProxies | null; client: ClientAddress }>();

/**
 * The request's client address for rules, sessions, records and metrics: the socket's peer,
 * or with trusted proxies the first untrusted forwarding hop from the right
 * (docs/config.md#trusted-proxies). Koa's `app.proxy` does not enter into it: its `ctx.ip`
 * believes the leftmost X-Forwarded-For entry, which any client can write. Computed once per
 * request.
 */
export function requestClient(ctx: Context, trusted: TrustedProxies | null): ClientAddress {
  const req = ctx.req;
  // No list: the peer, cheaply (most servers).
  if (trusted === null) return { ip: req.socket?.remoteAddress ?? '', source: 'socket', via: null, protocol: null };
  const hit = cache.get(req);
  if (hit !== undefined && hit.trusted === trusted) return hit.client;
  const client = resolveClientAddress(req.socket?.remoteAddress ?? '', req.headers, trusted);
  cache.set(req, { trusted, client });
  return client;
}

/** `http` or `https` as the client used it: a trusted proxy's word, else the socket's. */
export function requestProtocol(ctx: Context, client: ClientAddress): string {
  if (client.protocol !== null) return client.protocol;
  return (ctx.req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
}
