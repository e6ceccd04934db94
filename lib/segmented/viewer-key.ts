/** How a viewer is recognised when its player sends no CMCD session id (docs/segmented.md). */
export interface ViewerKeyOptions {
  /** A query parameter that carries a playback token, e.g. `token`. */
  param?: string;
  /** A cookie that carries one, e.g. `sid`. */
  cookie?: string;
}

/** Where a viewer id came from. */
export type ViewerSource = 'cmcd' | 'param' | 'cookie' | 'ip';

/** The longest id kept; a longer one is cut (client input never sizes our state). */
export const MAX_VIEWER_ID = 128;

/**
 * The viewer a segmented request belongs to: the CMCD session id (CTA-5004: the `CMCD`
 * query parameter's `sid="…"`, else the `CMCD-Session` header's), else the configured
 * query parameter, else the configured cookie, else the client IP. Pure; bad input is
 * ignored and the next source is tried.
 *
 * @example
 * ```ts
 * viewerKey({ querystring: 'CMCD=sid%3D%22abc%22', headers: {}, ip: '10.0.0.1' }, {});
 * // { id: 'abc', source: 'cmcd' }
 * ```
 */
export function viewerKey(
  req: { querystring: string; headers: Readonly<Record<string, string | string[] | undefined>>; ip: string },
  options: ViewerKeyOptions,
): { id: string; source: ViewerSource } {
  const query = req.querystring === '' ? null : new URLSearchParams(req.querystring);
  const fromQuery = query?.get('CMCD');
  const sid = (fromQuery != null ? cmcdSid(fromQuery) : null) ?? cmcdSid(header(req.headers['cmcd-session']));
  if (sid !== null) return { id: sid, source: 'cmcd' };
  if (options.param !== undefined) {
    const v = query?.get(options.param);
    if (v != null && v !== '') return { id: cut(v), source: 'param' };
  }
  if (options.cookie !== undefined) {
    const v = cookie(header(req.headers.cookie), options.cookie);
    if (v !== null) return { id: cut(v), source: 'cookie' };
  }
  return { id: req.ip, source: 'ip' };
}

/** The `sid` of a CMCD key list (`br=3200,sid="6e2f…",su`); null when absent or empty. */
export function cmcdSid(list: string): string | null {
  let at = 0;
  while (at < list.length) {
    while (list[at] === ' ' || list[at] === ',') at++;
    if (list.startsWith('sid="', at)) {
      const close = list.indexOf('"', at + 5);
      if (close < 0) return null;
      const v = list.slice(at + 5, close);
      return v === '' ? null : cut(v);
    }
    // Skip this key=value: a quoted value may hold commas.
    let i = at;
    while (i < list.length && list[i] !== ',' && list[i] !== '"') i++;
    if (list[i] === '"') {
      const close = list.indexOf('"', i + 1);
      if (close < 0) return null;
      i = list.indexOf(',', close);
      if (i < 0) return null;
    }
    if (i <= at) i = at + 1;
    at = i;
  }
  return null;
}

function header(v: string | string[] | undefined): string {
  return v === undefined ? '' : Array.isArray(v) ? v.join(',') : v;
}

function cookie(headerValue: string, name: string): string | null {
  for (const part of headerValue.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (v === '') return null;
    try {
      return cut(decodeURIComponent(v));
    } catch {
      return cut(v);
    }
  }
  return null;
}

function cut(v: string): string {
  return v.length > MAX_VIEWER_ID ? v.slice(0, MAX_VIEWER_ID) : v;
}
