import { isIPv4, isIPv6 } from 'node:net';

/** An address as a family and a 32- or 128-bit integer. */
export interface IpValue {
  v6: boolean;
  value: bigint;
  /** The IPv4 address as an unsigned 32-bit number (-1 for IPv6): the fast path. */
  v4: number;
}

/** Parse a dotted IPv4 address strictly (four decimal octets 0–255). */
export function parseIPv4(text: string): number | null {
  if (!isIPv4(text)) return null;
  let n = 0;
  for (const part of text.split('.')) n = n * 256 + Number(part);
  return n >>> 0;
}

/** Parse an IPv6 address (with `::` and embedded IPv4) into a 128-bit integer. */
export function parseIPv6(text: string): bigint | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const noZone = bare.split('%')[0] as string;
  if (!isIPv6(noZone)) return null;
  let groups: string[];
  const v4 = noZone.match(/(\d+\.\d+\.\d+\.\d+)$/);
  let body = noZone;
  let tailGroups: string[] = [];
  if (v4) {
    const n = parseIPv4(v4[1] as string);
    if (n === null) return null;
    tailGroups = [((n >>> 16) & 0xffff).toString(16), (n & 0xffff).toString(16)];
    body = noZone.slice(0, -(v4[1] as string).length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  const left = halves[0] ? (halves[0] as string).split(':').filter((g) => g !== '') : [];
  const right = halves.length > 1 && halves[1] ? (halves[1] as string).split(':').filter((g) => g !== '') : [];
  const rightAll = [...right, ...tailGroups];
  if (halves.length > 1) {
    const fill = 8 - left.length - rightAll.length;
    groups = [...left, ...Array<string>(fill).fill('0'), ...rightAll];
  } else {
    groups = [...left, ...tailGroups];
  }
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  return value;
}

/**
 * Parse a client address as Koa reports it. IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a
 * dual-stack socket gives) is read as the IPv4 address, so IPv4 rules match it.
 */
export function parseClientIp(text: string): IpValue | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { v6: false, value: BigInt(v4), v4 };
  const v6 = parseIPv6(text);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { v6: false, value: v6 & 0xffffffffn, v4: Number(v6 & 0xffffffffn) };
  return { v6: true, value: v6, v4: -1 };
}
