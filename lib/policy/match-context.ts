import type { RequestFacts } from '../types';
import { parseClientIp, type IpValue } from './ip-address';

/** Looks up a client's country code (ISO 3166 alpha-2 or alpha-3); null when unknown. */
export type GeoIp = (ip: string) => string | null | undefined;

/**
 * Per-request facts plus lazily computed derivations, so that 100 rules parse the client
 * address and ask geoip at most once per request.
 */
export class MatchContext {
  readonly facts: RequestFacts;
  private readonly geoip: GeoIp | undefined;
  private ipValue: IpValue | null | undefined;
  private country: string | null | undefined;
  private lowerPath: string | undefined;

  constructor(facts: RequestFacts, geoip?: GeoIp) {
    this.facts = facts;
    this.geoip = geoip;
  }

  ip(): IpValue | null {
    if (this.ipValue === undefined) this.ipValue = parseClientIp(this.facts.ip);
    return this.ipValue;
  }

  countryCode(): string | null {
    if (this.country === undefined) {
      let code: unknown;
      try {
        code = this.geoip ? this.geoip(this.facts.ip) : null;
      } catch {
        code = null; // a failing lookup is an unknown country, never a failed request
      }
      this.country = typeof code === 'string' && code !== '' ? code.toUpperCase() : null;
    }
    return this.country;
  }

  path(caseInsensitive: boolean): string {
    if (!caseInsensitive) return this.facts.path;
    if (this.lowerPath === undefined) this.lowerPath = this.facts.path.toLowerCase();
    return this.lowerPath;
  }

  protocol(): string {
    return this.facts.protocol ?? 'http';
  }

  method(): string {
    return this.facts.method ?? 'GET';
  }

  mime(): string {
    return this.facts.mime ?? '';
  }

  header(name: string): string | undefined {
    const v = this.facts.headers[name];
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v.join(', ') : v;
  }
}
