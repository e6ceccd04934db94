import type { BandwidthUnit } from '../types';

/** Bytes per second in one unit of `<Bandwidth Unit>` (docs/spec.md §1). */
export const UNIT_BYTES: Readonly<Record<BandwidthUnit, number>> = Object.freeze({
  kbps: 1000 / 8,
  mbps: 1_000_000 / 8,
  bytes: 1,
  kb: 1024,
  mb: 1_048_576,
});

/** Narrow a string to a unit; case-insensitive, since operators write `Kbps` and `MB`. */
export function parseUnit(text: string): BandwidthUnit | null {
  const unit = text.trim().toLowerCase();
  return Object.hasOwn(UNIT_BYTES, unit) ? (unit as BandwidthUnit) : null;
}

/**
 * The largest amount config accepts. Far above any real rate (8 Pbit/s in bytes), and small
 * enough that unit conversion, ratio and boost products stay finite.
 */
export const MAX_AMOUNT = 1e15;

/**
 * Parse a non-negative decimal number as written in config (`1000`, `1.5`).
 * Returns null for anything else: negatives, NaN, Infinity, hex, exponents, empty text,
 * amounts above MAX_AMOUNT.
 */
export function parseAmount(text: string): number | null {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) && n <= MAX_AMOUNT ? n : null;
}

/** A typed amount in range: finite, 0 ≤ n ≤ MAX_AMOUNT. */
export const isAmount = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= MAX_AMOUNT;

/** Convert `value` in `unit` to bytes per second. */
export function toBytesPerSecond(value: number, unit: BandwidthUnit): number {
  return value * UNIT_BYTES[unit];
}

/** Kbps (1000 bit/s) to bytes/s: `<TrafficCap Session>` (docs/spec.md §1). */
export const kbpsToBytes = (kbps: number): number => (kbps * 1000) / 8;
/** Mbps (1 000 000 bit/s) to bytes/s: `<TrafficCap>` (docs/spec.md §1). */
export const mbpsToBytes = (mbps: number): number => (mbps * 1_000_000) / 8;
