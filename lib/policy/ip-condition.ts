import { parseIPv4, parseIPv6 } from './ip-address';
import type { MatchContext } from './match-context';

/** A compiled `IP[...]` body. */
export type IpTest = (m: MatchContext) => boolean;

/** Why an IP body was rejected, for the config error. */
export class IpSyntaxError extends Error {}

/**
 * Compile the body of `IP[...]` (docs/spec.md §2): single address, last-octet range, CIDR, dotted
 * mask, IPv6 address or CIDR, or a country code (needs `geoip`).
 */
export function compileIpCondition(body: string, hasGeoip: boolean): IpTest {
  const text = body.trim();
  if (/^[A-Za-z]{2,3}$/.test(text)) {
    if (!hasGeoip) throw new IpSyntaxError(`country code "${text}" needs the \`geoip\` option`);
    const code = text.toUpperCase();
    return (m) => m.countryCode() === code;
  }
  const range = text.match(/^(\d+\.\d+\.\d+)\.(\d+)-(\d+)$/);
  if (range) {
    const base = parseIPv4(`${range[1]}.${range[2]}`);
    const to = Number(range[3]);
    const from = Number(range[2]);
    if (base === null || !(to <= 255) || to < from) throw new IpSyntaxError(`bad IPv4 range "${text}"; expected a.b.c.FROM-TO with FROM ≤ TO ≤ 255`);
    const lo = base;
    const hi = base - from + to;
    return (m) => {
      const ip = m.ip();
      return ip !== null && !ip.v6 && ip.v4 >= lo && ip.v4 <= hi;
    };
  }
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const suffix = slash < 0 ? null : text.slice(slash + 1);
  const v4 = parseIPv4(addr);
  if (v4 !== null) {
    // 32-bit integer arithmetic: `>>> 0` keeps values unsigned.
    let mask = 0xffffffff;
    if (suffix !== null) {
      if (/^\d{1,2}$/.test(suffix) && Number(suffix) <= 32) {
        const bits = Number(suffix);
        mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      } else {
        const m = parseIPv4(suffix);
        if (m === null) throw new IpSyntaxError(`bad IPv4 mask "${suffix}"; expected a prefix length 0–32 or a dotted mask`);
        mask = m;
      }
    }
    const net = (v4 & mask) >>> 0;
    return (m) => {
      const ip = m.ip();
      return ip !== null && !ip.v6 && ((ip.v4 & mask) >>> 0) === net;
    };
  }
  const v6 = parseIPv6(addr);
  if (v6 !== null) {
    let mask = (1n << 128n) - 1n;
    if (suffix !== null) {
      if (!/^\d{1,3}$/.test(suffix) || Number(suffix) > 128) throw new IpSyntaxError(`bad IPv6 prefix length "${suffix}"; expected 0–128`);
      const bits = BigInt(Number(suffix));
      mask = bits === 0n ? 0n : (((1n << bits) - 1n) << (128n - bits));
    }
    const net = v6 & mask;
    return (m) => {
      const ip = m.ip();
      return ip !== null && ip.v6 && (ip.value & mask) === net;
    };
  }
  throw new IpSyntaxError(`bad IP "${text}"; expected an address, a.b.c.X-Y, a CIDR, a dotted mask, an IPv6 address or a country code`);
}
