import type { VhostConfig } from '../config/config-model';
import { toBytesPerSecond } from '../config/units';
import { parseDuration } from '../config/duration';
import type { QueryValue, RequestFacts } from '../types';

/** The most a query string may ask for (docs/config.md: values are clamped). */
export interface QueryLimits {
  /** bytes/s: bounds the query's bandwidth and the effective rate of any plan it shaped. */
  bandwidth: number;
  /** percent */
  ratio: number;
  /** seconds */
  boost: number;
}

/** A BT field a query string may set. */
export type QueryField = 'bandwidth' | 'ratio' | 'boost';

/** What happened to one query value that was not taken as written. */
export interface QueryNote {
  field: QueryField;
  /** The query-string name the client used (`Param="mybandwidth"`). */
  param: string;
  raw: QueryValue;
  outcome: 'ignored' | 'clamped';
  /** Why, in a few words: `repeated`, `empty`, `not a plain decimal number`, … */
  reason: string;
}

/** Query values in the package's units: bandwidth bytes/s, ratio percent, boost seconds. */
export interface QueryValues {
  bandwidth?: number;
  ratio?: number;
  boost?: number;
}

const FIELDS: readonly QueryField[] = ['bandwidth', 'ratio', 'boost'];

/** `12`, `12.5`, `.5`: the plain decimals config files accept. No sign, exponent, hex or space. */
const PLAIN_DECIMAL = /^(?:\d+(?:\.\d+)?|\.\d+)$/;

/**
 * Read a request's BT query values (docs/config.md, "What a client can change through the
 * query string"). Client input, so nothing here throws or lifts a limit: only a plain
 * decimal number above 0 is read; anything else (empty, repeated, `0`, `-1`, `0x10`, `1e2`,
 * `Infinity`) is ignored, and the field falls through to route, rules or `<Settings>`.
 * Values over `limits` are clamped to them. Every value not taken as written gets a note.
 *
 * @example
 * readQueryValues({ bandwidth: '0', ratio: '150' }, vhost, DEFAULT_LIMITS)
 * // → { values: { ratio: 150 }, notes: [{ field: 'bandwidth', outcome: 'ignored', reason: 'not above 0', … }] }
 */
export function readQueryValues(query: RequestFacts['query'], vhost: VhostConfig, limits: QueryLimits): { values: QueryValues; notes: QueryNote[] } {
  const values: QueryValues = {};
  const notes: QueryNote[] = [];
  for (const field of FIELDS) {
    const raw = query[field];
    const param = vhost.settings.params[field];
    if (raw === undefined || param === undefined) continue;
    const note = (outcome: QueryNote['outcome'], reason: string): number => notes.push({ field, param, raw, outcome, reason });
    // A boost may carry time units (`10s`, `1min 30secs`), read as strictly as in config.
    const n = field === 'boost' && typeof raw === 'string' && /[a-z]/i.test(raw) ? parseQueryDuration(raw) : parseQueryNumber(raw);
    if (typeof n === 'string') {
      note('ignored', n);
      continue;
    }
    const limit = limits[field];
    if (!(limit > 0)) {
      note('ignored', `limits.${field} is 0`);
      continue;
    }
    const value = field === 'bandwidth' ? toBytesPerSecond(n, vhost.settings.unit) : n;
    if (value > limit) note('clamped', `above limits.${field} (${limit})`);
    values[field] = Math.min(value, limit);
  }
  return { values, notes };
}

/** A positive plain decimal, or why the value is not one. */
export function parseQueryNumber(raw: QueryValue): number | string {
  if (typeof raw !== 'string') return 'repeated';
  if (raw === '') return 'empty';
  if (!PLAIN_DECIMAL.test(raw)) return 'not a plain decimal number';
  const n = Number(raw);
  if (!Number.isFinite(n)) return 'not finite';
  if (n <= 0) return 'not above 0';
  return n;
}

/** A query boost with time units (`10s`, `1min 30secs`), or why it is not one (as for a number: neither form). */
function parseQueryDuration(raw: string): number | string {
  const n = parseDuration(raw);
  if (n === null) return 'not a plain decimal number';
  return n <= 0 ? 'not above 0' : n;
}
