import { MAX_AMOUNT, parseAmount } from './units';

/** Bytes/s in one of each rate unit: bit rates are 1000-based, byte rates 1024-based (as `<Bandwidth Unit="kb">`). */
const RATE: Readonly<Record<string, number>> = Object.freeze({
  bps: 1 / 8,
  kbps: 1000 / 8,
  mbps: 1_000_000 / 8,
  gbps: 1_000_000_000 / 8,
  'b/s': 1,
  'bytes/s': 1,
  'kb/s': 1024,
  'kib/s': 1024,
  'mb/s': 1_048_576,
  'mib/s': 1_048_576,
  'gb/s': 1_073_741_824,
  'gib/s': 1_073_741_824,
});

/** The rate units a string may carry, for error messages. */
export const RATE_UNITS = 'bps, kbps, mbps, gbps (bits/s, 1000-based) or B/s, KB/s, KiB/s, MB/s, MiB/s, GB/s (1024-based)';

/**
 * A rate with its unit (`'2mbps'`, `'500 kbps'`, `'64KiB/s'`) in bytes/s; null for anything
 * else, a bare number included (its unit would be a guess).
 *
 * @example
 * parseRateString('2mbps') // 250000
 */
export function parseRateString(text: string): number | null {
  const m = text.trim().match(/^(\d+(?:\.\d+)?|\.\d+)\s*([a-z/]+)$/i);
  if (!m) return null;
  const n = parseAmount(m[1] as string);
  const unit = RATE[(m[2] as string).toLowerCase()];
  if (n === null || unit === undefined || n * unit > MAX_AMOUNT) return null;
  return n * unit;
}
