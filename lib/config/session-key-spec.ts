/**
 * What one session is, as the config says it (`<SessionKey>`, docs/config.md#sessions-sessionkey):
 * `connection`, `ip` (the client address, after trusted proxies), `header:NAME` or
 * `cookie:NAME` (a request's value of it). New kinds are one entry in SESSION_KEY_KINDS
 * here and one keyer in `lib/session-key.ts`.
 */
export interface SessionKeySpec {
  kind: string;
  /** The header (lower-case) or cookie name, for kinds that take one. */
  name?: string;
  /** As written, for `explain`. */
  text: string;
}

/** The kinds `<SessionKey>` accepts, and whether each takes a `:NAME`. */
export const SESSION_KEY_KINDS: Record<string, { takesName: boolean }> = {
  connection: { takesName: false },
  ip: { takesName: false },
  header: { takesName: true },
  cookie: { takesName: true },
  viewer: { takesName: false },
};

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parse `connection`, `ip`, `header:X-User-Id` or `cookie:sid` (kinds case-insensitive).
 * Returns the spec, or an error message naming what is expected.
 *
 * @example
 * parseSessionKeySpec('header:X-User') // { kind: 'header', name: 'x-user', text: 'header:X-User' }
 */
export function parseSessionKeySpec(text: string): SessionKeySpec | string {
  const t = text.trim();
  const colon = t.indexOf(':');
  const kind = (colon < 0 ? t : t.slice(0, colon)).trim().toLowerCase();
  const known = Object.keys(SESSION_KEY_KINDS);
  const expected = `expected ${known.map((k) => (SESSION_KEY_KINDS[k]?.takesName ? `${k}:NAME` : k)).join(', ')}`;
  const def = Object.hasOwn(SESSION_KEY_KINDS, kind) ? SESSION_KEY_KINDS[kind] : undefined;
  if (!def) return `unknown session key ${JSON.stringify(t)}; ${expected}`;
  if (!def.takesName) return colon < 0 ? { kind, text: t } : `session key "${kind}" takes no name; ${expected}`;
  const name = colon < 0 ? '' : t.slice(colon + 1).trim();
  if (!TOKEN.test(name)) return `session key "${kind}" needs a ${kind} name (${kind}:NAME, an HTTP token); got ${JSON.stringify(name)}`;
  return { kind, name: kind === 'header' ? name.toLowerCase() : name, text: t };
}
