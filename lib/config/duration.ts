import { MAX_AMOUNT, parseAmount } from './units';

/**
 * Seconds in one of each time unit, as STON writes them (`5`, `5s`, `5sec`, `5seconds`,
 * `1min 30secs`, `2hours`, `1day`). Units are case-insensitive words; there is no `m` or
 * `h` shorthand, so `5m` is not read as five minutes (nor as five MB).
 */
const SECONDS: Readonly<Record<string, number>> = Object.freeze({
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86_400,
  days: 86_400,
  week: 604_800,
  weeks: 604_800,
});

/** The unit words a time expression accepts, for error messages. */
export const TIME_UNITS = 'sec(s)/second(s), min(s)/minute(s), hour(s), day(s), week(s)';

/**
 * Parse a time expression into seconds: a bare number (`5`, seconds), or one or more
 * `amount unit` parts from the largest unit to the smallest, each unit at most once
 * (`1min 30secs`, `1hour 5mins`, `2.5s`). Returns null for anything else: negatives, an
 * unknown unit, a bare number after a unit (`1min 30`), a unit twice, out-of-order units,
 * or a total above MAX_AMOUNT.
 *
 * @example
 * parseDuration('1min 30secs') // 90
 */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  const bare = parseAmount(t);
  if (bare !== null) return bare;
  if (t === '' || t.length > 200) return null;
  const part = /(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)\s*/iy;
  let at = 0;
  let total = 0;
  let last = Infinity;
  while (at < t.length) {
    part.lastIndex = at;
    const m = part.exec(t);
    if (!m) return null;
    const n = parseAmount(m[1] as string);
    const unit = SECONDS[(m[2] as string).toLowerCase()];
    if (n === null || unit === undefined || unit >= last) return null;
    last = unit;
    total += n * unit;
    at = part.lastIndex;
  }
  return total <= MAX_AMOUNT ? total : null;
}
