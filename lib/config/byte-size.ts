import { MAX_AMOUNT, parseAmount } from './units';

/**
 * Bytes in one of each size unit. `KB`, `MB` and `GB` are binary (1024), as `<Bandwidth
 * Unit="kb">` and nginx's `limit_rate_after 512k` count them; `KiB`, `MiB`, `GiB` say the
 * same unambiguously. Case-insensitive. No one-letter `k`/`m`/`g`: `5m` could mean minutes.
 */
const BYTES: Readonly<Record<string, number>> = Object.freeze({
  b: 1,
  byte: 1,
  bytes: 1,
  kb: 1024,
  kib: 1024,
  mb: 1_048_576,
  mib: 1_048_576,
  gb: 1_073_741_824,
  gib: 1_073_741_824,
});

/** The unit words a byte size accepts, for error messages. */
export const SIZE_UNITS = 'B/bytes, KB/KiB, MB/MiB, GB/GiB (1024-based)';

/**
 * Parse a byte size with a unit (`512KB`, `1.5 MiB`, `65536 bytes`); whole bytes, rounded
 * down. A bare number has no unit and is not a size here (returns null), so a boost of `5`
 * stays five seconds. Null for anything else.
 *
 * @example
 * parseByteSize('512KB') // 524288
 */
export function parseByteSize(text: string): number | null {
  const m = text.trim().match(/^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)$/i);
  if (!m) return null;
  const n = parseAmount(m[1] as string);
  const unit = BYTES[(m[2] as string).toLowerCase()];
  if (n === null || unit === undefined || n * unit > MAX_AMOUNT) return null;
  return Math.floor(n * unit);
}
