/**
 * Remove the BT params from a raw query string, keeping every other pair as written and in
 * order (docs/config.md, "What downstream sees"): `tag=3277&myboost=10&date=20130726` → `tag=3277&date=20130726`.
 * Also returns every value of each removed name, decoded and in order: a repeated param is
 * visible as such (the resolver ignores it rather than pick one; docs/config.md).
 */
export function stripQuery(querystring: string, names: ReadonlySet<string>): { querystring: string; values: Map<string, string[]> } {
  const values = new Map<string, string[]>();
  if (querystring === '' || names.size === 0) return { querystring, values };
  const kept: string[] = [];
  let changed = false;
  for (const pair of querystring.split('&')) {
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (key !== null && names.has(key)) {
      changed = true;
      // A value with a malformed escape is kept as written: the resolver ignores it as not a number.
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      const list = values.get(key);
      if (list) list.push(decode(value) ?? value);
      else values.set(key, [decode(value) ?? value]);
    } else kept.push(pair);
  }
  return { querystring: changed ? kept.filter((p) => p !== '').join('&') : querystring, values };
}

function decode(s: string): string | null {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null; // malformed escapes: keep the pair downstream, untouched
  }
}
