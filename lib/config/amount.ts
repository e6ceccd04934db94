import { MAX_AMOUNT, parseAmount } from './units';
import { parseDuration } from './duration';

/**
 * Amounts as a JavaScript caller writes them (docs/config.md, "Amounts in JavaScript"):
 * a number in the one documented unit (bytes per second for rates, seconds for durations,
 * percent for ratios), or a string that names its unit. The XML files keep their own units
 * (`<Bandwidth Unit>`, Mbps for `<TrafficCap>`, Kbps for `Session`).
 */

/** Rate units a string may end with. Bits are decimal (1 kbps = 1000 bit/s), bytes binary. */
export type RateUnit = 'bps' | 'kbps' | 'Kbps' | 'mbps' | 'Mbps' | 'gbps' | 'Gbps' | 'B/s' | 'KiB/s' | 'MiB/s' | 'GiB/s';
/** A rate with its unit: `'2mbps'`, `'500 kbps'`, `'64KiB/s'`. */
export type RateString = `${number}${RateUnit}` | `${number} ${RateUnit}`;
/** A rate: bytes per second, or a string with its unit. */
export type Rate = number | RateString;

/** Duration units a string may end with. */
export type DurationUnit = 'ms' | 's' | 'sec' | 'secs' | 'min' | 'mins';
/** A duration with its unit: `'5s'`, `'500ms'`, `'2min'`. */
export type DurationString = `${number}${DurationUnit}` | `${number} ${DurationUnit}`;
/** A duration: seconds, or a string with its unit. */
export type Duration = number | DurationString;

/** A ratio: percent, or a string ending in `%`. */
export type Percent = number | `${number}%`;

/** Bytes per second in one of each rate unit, by the unit in lower case. */
const RATE: Readonly<Record<string, number>> = Object.freeze({
  'bps': 1 / 8,
  'kbps': 1000 / 8,
  'mbps': 1_000_000 / 8,
  'gbps': 1_000_000_000 / 8,
  'b/s': 1,
  'bytes/s': 1,
  'kib/s': 1024,
  'mib/s': 1_048_576,
  'gib/s': 1_073_741_824,
});

/** Units that mean bytes to some readers and bits to others, or 1000 to some and 1024 to others. */
const AMBIGUOUS: Readonly<Record<string, string>> = Object.freeze({
  'kb': "'kbps' (1000 bit/s) or 'KiB/s' (1024 bytes/s)",
  'mb': "'mbps' (1 000 000 bit/s) or 'MiB/s' (1 048 576 bytes/s)",
  'gb': "'gbps' or 'GiB/s'",
  'kb/s': "'kbps' (1000 bit/s) or 'KiB/s' (1024 bytes/s)",
  'mb/s': "'mbps' (1 000 000 bit/s) or 'MiB/s' (1 048 576 bytes/s)",
  'gb/s': "'gbps' or 'GiB/s'",
  'bytes': "'B/s'",
  'kbit/s': "'kbps'",
  'mbit/s': "'mbps'",
});

/** The outcome of reading an amount: the value in base units, or why it was refused. */
export type AmountResult = { ok: true; value: number } | { ok: false; expected: string };

const RATE_EXPECTED = "a number of bytes/s ≥ 0 or a string with a unit ('2mbps', '500kbps', '64KiB/s')";
const DURATION_EXPECTED = "a number of seconds ≥ 0 or a string with a unit ('5s', '500ms', '2min')";
const PERCENT_EXPECTED = "a percentage ≥ 0 (120 or '120%')";

const inRange = (n: number): boolean => Number.isFinite(n) && n >= 0 && n <= MAX_AMOUNT;

/**
 * Split `'2.5 mbps'` into 2.5 and `mbps`; null when the text is not a number and a word.
 * Trimmed first, so no two `\s*` meet: the match stays linear on hostile input.
 */
function split(text: string): { n: number; unit: string } | null {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(?:\s*([a-z/%]+))?$/i.exec(text.trim());
  if (!m) return null;
  const n = parseAmount(m[1] as string);
  return n === null ? null : { n, unit: (m[2] ?? '').toLowerCase() };
}

/**
 * A rate in bytes per second: a number is bytes/s; a string names its unit.
 * @example readRate('2mbps') // { ok: true, value: 250000 }
 */
export function readRate(value: unknown): AmountResult {
  if (typeof value === 'number') return inRange(value) ? { ok: true, value } : { ok: false, expected: RATE_EXPECTED };
  if (typeof value !== 'string') return { ok: false, expected: RATE_EXPECTED };
  const s = split(value);
  if (!s) return { ok: false, expected: RATE_EXPECTED };
  const per = RATE[s.unit];
  if (per === undefined) {
    const hint = AMBIGUOUS[s.unit];
    return { ok: false, expected: hint ? `a rate with an unambiguous unit: ${hint}` : RATE_EXPECTED };
  }
  const bytes = s.n * per;
  return inRange(bytes) ? { ok: true, value: bytes } : { ok: false, expected: RATE_EXPECTED };
}

/**
 * A duration in seconds: a number is seconds; a string names its unit.
 * @example readDuration('500ms') // { ok: true, value: 0.5 }
 */
export function readDuration(value: unknown): AmountResult {
  if (typeof value === 'number') return inRange(value) ? { ok: true, value } : { ok: false, expected: DURATION_EXPECTED };
  if (typeof value !== 'string') return { ok: false, expected: DURATION_EXPECTED };
  // Milliseconds here; every other unit is the config files' time expression
  // (`'5s'`, `'2min'`, `'1min 30secs'`), so JavaScript and XML read times alike.
  const s = split(value);
  if (s?.unit === 'ms') return { ok: true, value: s.n / 1000 };
  const seconds = /[a-z]/i.test(value) ? parseDuration(value) : null;
  return seconds === null ? { ok: false, expected: DURATION_EXPECTED } : { ok: true, value: seconds };
}

/**
 * A ratio in percent: a number, or a string ending in `%`.
 * @example readPercent('120%') // { ok: true, value: 120 }
 */
export function readPercent(value: unknown): AmountResult {
  if (typeof value === 'number') return inRange(value) ? { ok: true, value } : { ok: false, expected: PERCENT_EXPECTED };
  if (typeof value !== 'string') return { ok: false, expected: PERCENT_EXPECTED };
  const s = split(value);
  if (!s || s.unit !== '%') return { ok: false, expected: PERCENT_EXPECTED };
  return { ok: true, value: s.n };
}

/** True when a string is a number followed by a unit word, so not a bare config-file number. */
export const hasUnit = (text: string): boolean => /^(\d+(\.\d+)?|\.\d+)\s*[a-z%/]+$/i.test(text.trim());
