import { parseByteSize, SIZE_UNITS } from './byte-size';
import { parseDuration, TIME_UNITS } from './duration';

/**
 * A boost: the unthrottled start of a response, as a time at the BT rate (`5`, `1min 30secs`)
 * or as bytes (`512KB`, nginx's `limit_rate_after`).
 */
export type BoostValue = { seconds: number } | { bytes: number };

/** What a Boost accepts, for error messages. */
export const BOOST_FORMS = `seconds (5, 5s, 1min 30secs; units ${TIME_UNITS}) or bytes (512KB; units ${SIZE_UNITS})`;

/**
 * Read a Boost as written in XML, a rule or a plain option: a time expression, else a byte
 * size. Null when it is neither. A number (from plain options) is seconds.
 *
 * @example
 * parseBoostValue('1min 30secs') // { seconds: 90 }
 * parseBoostValue('512KB')       // { bytes: 524288 }
 */
export function parseBoostValue(text: string): BoostValue | null {
  const seconds = parseDuration(text);
  if (seconds !== null) return { seconds };
  const bytes = parseByteSize(text);
  return bytes === null ? null : { bytes };
}
