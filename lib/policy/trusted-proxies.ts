import { parseClientIp, parseIPv4, parseIPv6, type IpValue } from './ip-address';

/** Which forwarding header trusted proxies write: `X-Forwarded-For` or RFC 7239 `Forwarded`. */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

/** A compiled trusted-proxy list: the addresses whose forwarding headers are believed. */
export interface TrustedProxies {
  readonly header: ForwardedHeader;
  /** The entries as written, for `explain` and logs. */
  readonly entries: readonly string[];
  /** Whether an address (as parsed) is a trusted proxy. */
  trusts(ip: IpValue): boolean;
}

/** Why an entry of the list was rejected, for the config error. */
export class TrustedProxySyntaxError extends Error {
  constructor(
    message: string,
    /** Index of the bad entry. */
    readonly index: number,
  ) {
    super(message);
  }
}

type Net = { v6: boolean; net: bigint; mask: bigint };

/**
 * Compile a list of addresses and CIDRs (`10.0.0.0/8`, `192.168.1.7`, `2001:db8::/32`, `::1`).
 * An IPv4-mapped peer (`::ffff:10.0.0.1`) is matched as IPv4.
 * @throws TrustedProxySyntaxError naming the first bad entry.
 */
export function compileTrustedProxies(entries: readonly string[], header: ForwardedHeader = 'x-forwarded-for'): TrustedProxies {
  const nets: Net[] = [];
  entries.forEach((raw, i) => {
    const text = String(raw).trim();
    const slash = text.indexOf('/');
    const addr = slash < 0 ? text : text.slice(0, slash);
    const suffix = slash < 0 ? null : text.slice(slash + 1);
    const v4 = parseIPv4(addr);
    const v6 = v4 === null ? parseIPv6(addr) : null;
    if (v4 === null && v6 === null) throw new TrustedProxySyntaxError(`bad trusted proxy "${text}"; expected an IPv4 or IPv6 address or CIDR (10.0.0.0/8, 2001:db8::/32)`, i);
    const width = v4 !== null ? 32 : 128;
    let bits = width;
    if (suffix !== null) {
      if (!/^\d{1,3}$/.test(suffix) || Number(suffix) > width) throw new TrustedProxySyntaxError(`bad prefix length "/${suffix}" in trusted proxy "${text}"; expected 0–${width}`, i);
      bits = Number(suffix);
    }
    const all = (1n << BigInt(width)) - 1n;
    const mask = bits === 0 ? 0n : (all >> BigInt(width - bits)) << BigInt(width - bits);
    const value = v4 !== null ? BigInt(v4) : (v6 as bigint);
    nets.push({ v6: v4 === null, net: value & mask, mask });
  });
  return Object.freeze({
    header,
    entries: Object.freeze(entries.map((e) => String(e).trim())),
    trusts(ip: IpValue): boolean {
      for (const n of nets) if (n.v6 === ip.v6 && (ip.value & n.mask) === n.net) return true;
      return false;
    },
  });
}

/** The client's address as the package sees it, and where it came from. */
export interface ClientAddress {
  /** The client IP (the socket peer when nothing forwarded is believed). */
  ip: string;
  /** `socket`, or the forwarding header that gave it. */
  source: 'socket' | ForwardedHeader;
  /** The trusted proxy that reported the client's address; null when it is the socket peer. */
  via: string | null;
  /** `http`/`https` as the client used it, when a trusted proxy reported it. */
  protocol: string | null;
}

/** At most this many hops are read from the right of a forwarding header; the rest is not believed. */
export const MAX_HOPS = 32;

/**
 * The client address (docs/config.md#trusted-proxies): the socket peer, unless it is a trusted
 * proxy; then the forwarding header's hops are walked from the right, each trusted hop
 * vouching for the one to its left, and the first untrusted hop is the client. A hop that is
 * not an address (`unknown`, an obfuscated `_id`, garbage) stops the walk at the trusted hop
 * that reported it. When every hop is trusted, the leftmost is the client. Never throws.
 *
 * @example
 * resolveClientAddress('10.0.0.2', { 'x-forwarded-for': '203.0.113.7, 10.0.0.9' }, compileTrustedProxies(['10.0.0.0/8']))
 * // { ip: '203.0.113.7', source: 'x-forwarded-for', via: '10.0.0.9', protocol: null }
 */
export function resolveClientAddress(peer: string, headers: Readonly<Record<string, string | string[] | undefined>>, trusted: TrustedProxies | null): ClientAddress {
  const own: ClientAddress = { ip: peer, source: 'socket', via: null, protocol: null };
  if (trusted === null) return own;
  const peerIp = parseClientIp(peer);
  if (peerIp === null || !trusted.trusts(peerIp)) return own;
  const hops = trusted.header === 'forwarded' ? forwardedHops(headers.forwarded) : xffHops(headers['x-forwarded-for'], headers['x-forwarded-proto']);
  let via = peer;
  let client: ClientAddress = own;
  for (let i = hops.length - 1, n = 0; i >= 0 && n < MAX_HOPS; i--, n++) {
    const hop = hops[i] as Hop;
    const ip = hop.for === null ? null : parseClientIp(hop.for);
    if (ip === null || hop.for === null) break;
    client = { ip: hop.for, source: trusted.header, via, protocol: hop.proto };
    if (!trusted.trusts(ip)) break;
    via = hop.for;
  }
  return client;
}

interface Hop {
  for: string | null;
  proto: string | null;
}

const joined = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join(',') : (v ?? ''));
const protoOf = (p: string | undefined): string | null => {
  const t = p?.trim().toLowerCase();
  return t === 'http' || t === 'https' ? t : null;
};

/** `X-Forwarded-For: a, b, c`, with `X-Forwarded-Proto` read alongside when it has as many entries (else its last). */
function xffHops(xff: string | string[] | undefined, xfp: string | string[] | undefined): Hop[] {
  const text = joined(xff);
  if (text === '' || text.length > 8192) return [];
  const fors = text.split(',').slice(-MAX_HOPS - 1);
  const protos = joined(xfp).split(',');
  const aligned = protos.length === fors.length;
  return fors.map((f, i) => ({ for: stripPort(f.trim()), proto: protoOf(aligned ? protos[i] : protos[protos.length - 1]) }));
}

/** RFC 7239 `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711"`. */
function forwardedHops(v: string | string[] | undefined): Hop[] {
  const text = joined(v);
  if (text === '' || text.length > 8192) return [];
  const hops: Hop[] = [];
  for (const element of splitOutsideQuotes(text, ',').slice(-MAX_HOPS - 1)) {
    let forValue: string | null = null;
    let proto: string | null = null;
    for (const pair of splitOutsideQuotes(element, ';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const key = pair.slice(0, eq).trim().toLowerCase();
      let value = pair.slice(eq + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
      if (key === 'for') forValue = stripPort(value);
      else if (key === 'proto') proto = protoOf(value);
    }
    hops.push({ for: forValue, proto });
  }
  return hops;
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** `[2001:db8::1]:4711` → `2001:db8::1`; `192.0.2.1:8080` → `192.0.2.1`; a bare IPv6 stays. */
function stripPort(hop: string): string | null {
  if (hop === '') return null;
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end < 0 ? null : hop.slice(1, end);
  }
  const colon = hop.indexOf(':');
  if (colon >= 0 && hop.indexOf(':', colon + 1) < 0) return hop.slice(0, colon);
  return hop;
}
