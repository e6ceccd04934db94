import { isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';

/** Letters, digits, `-` and `_` (seen in real Host headers), neither end a hyphen. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Why a vhost Name or Alias is not a host name, or null when it is (docs/config.md, "Vhost
 * names"). Expects the name trimmed and lower-cased. A host name is ASCII: dot-separated
 * labels of letters, digits, `-` and `_`, at most 63 characters each and 253 in all; an
 * internationalised name is written in punycode (`xn--…`, checked to decode). An Alias may
 * also be a `*.` pattern or a bracketed IPv6 literal. No port and no trailing dot: the
 * middleware drops both from the Host header before it looks a vhost up.
 *
 * @example
 * hostNameProblem('xn--bcher-kva.example', false) // → null
 * hostNameProblem('bücher.example', false)        // → 'not ASCII; write it in punycode: "xn--bcher-kva.example"'
 */
export function hostNameProblem(name: string, alias: boolean): string | null {
  if (name === '') return 'empty';
  if (alias && name.startsWith('[') && name.endsWith(']')) return isIPv6(name.slice(1, -1)) ? null : 'not an IPv6 address in brackets';
  if (/[^\x21-\x7e]/.test(name)) {
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    if (/[\s\x00-\x1f\x7f]/.test(name)) return 'contains spaces or control characters';
    const ascii = domainToASCII(name);
    return ascii ? `not ASCII; write it in punycode: "${ascii}"` : 'not ASCII, and no valid internationalised name';
  }
  if (/:\d*$/.test(name) && !name.startsWith('[')) return 'has a port; a vhost matches the Host header without its port';
  if (name.endsWith('.')) return 'ends with a dot; write it without (the Host header is matched without one)';
  let host = name;
  if (name.startsWith('*.')) {
    if (!alias) return 'a pattern (*.) is allowed in an Alias, not a vhost Name';
    host = name.slice(2);
  }
  if (host.includes('*')) return 'a * is allowed only as a leading *. of an Alias';
  if (host.length > 253) return 'longer than 253 characters';
  for (const label of host.split('.')) {
    if (label === '') return 'has an empty label (two dots, or a leading dot)';
    if (!LABEL.test(label)) return `label "${label}" is not letters, digits, - and _ (at most 63, no - at either end)`;
    if (label.startsWith('xn--') && domainToASCII(domainToUnicode(label)) !== label) return `label "${label}" is not valid punycode`;
  }
  return null;
}
