import { ConfigError } from '../errors';
import type { BandwidthSpec, BandwidthUnit } from '../types';
import { parseAmount, toBytesPerSecond } from '../config/units';
import { hasUnit, readRate } from '../config/amount';
import { ConfigWarning, NX_WARN_BELOW } from '../config/config-warning';
import { BOOST_FORMS, parseBoostValue } from '../config/boost';
import { parseDuration } from '../config/duration';
import { compileCondition, ConditionSyntaxError, type ConditionOptions } from './condition';
import type { Rule } from './rule';

/** What a rule list needs from its vhost. */
export interface RuleListOptions extends ConditionOptions {
  /** The file name used in errors (`svc/www/throttling.txt`, or `<options>`). */
  file: string;
  /** `<Bandwidth Unit>`: rule bandwidths are written in it. */
  unit: BandwidthUnit;
  /** Added to line numbers (for rules given as an array in plain options). */
  firstLine?: number;
}

/**
 * Parse and compile a rule list. Collects every malformed line as a ConfigError with
 * file:line:column instead of stopping at the first, so `check` lists them all.
 */
export function parseRuleList(text: string, opts: RuleListOptions): { rules: Rule[]; errors: ConfigError[]; warnings: ConfigWarning[] } {
  const rules: Rule[] = [];
  const errors: ConfigError[] = [];
  const warnings: ConfigWarning[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = opts.firstLine ?? 1;
  lines.forEach((raw, i) => {
    const line = first + i;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      rules.push(parseRuleLine(raw, line, opts, (message, column) => warnings.push(new ConfigWarning('NX_TOO_SMALL', message, { file: opts.file, line, column }))));
    } catch (e) {
      if (e instanceof ConfigError) errors.push(e);
      else throw e;
    }
  });
  return { rules, errors, warnings };
}


interface Field {
  text: string;
  /** 0-based offset in the line of the first non-blank character (or of the field start). */
  offset: number;
}

/**
 * `{condition},{bandwidth},{ratio},{boost}`, split outside brackets. `warn` hears of what is
 * valid but likely a mistake, with its 1-based column. @throws ConfigError
 */
export function parseRuleLine(raw: string, line: number, opts: RuleListOptions, warn?: (message: string, column: number) => void): Rule {
  const fail = (message: string, offset: number): ConfigError => new ConfigError(message, { file: opts.file, line, column: offset + 1 });
  const fields: Field[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= raw.length; i++) {
    const c = raw[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if ((c === ',' && depth === 0) || i === raw.length) {
      const piece = raw.slice(start, i);
      fields.push({ text: piece.trim(), offset: start + (piece.length - piece.trimStart().length) });
      start = i + 1;
    }
  }
  if (fields.length > 4) throw fail(`too many fields (${fields.length}); expected {condition},{bandwidth},{ratio},{boost}`, (fields[4] as Field).offset);
  const [cond, bw, ratio, boost] = fields as [Field, Field?, Field?, Field?];
  if (cond.text === '') throw fail('missing condition; expected {condition},{bandwidth},{ratio},{boost}', cond.offset);
  let condition;
  let usesMime = false;
  try {
    condition = compileCondition(cond.text, { ...opts, onKind: (k) => (usesMime ||= k === 'MIME') });
  } catch (e) {
    if (e instanceof ConditionSyntaxError) throw fail(e.message, cond.offset + e.offset);
    throw e;
  }
  const rule: Rule = { line, text: raw.trim(), condition };
  if (usesMime) rule.usesMime = true;
  if (bw && bw.text !== '') {
    rule.bandwidth = parseBandwidthField(bw.text, opts.unit, () => fail(`bad bandwidth "${bw.text}"; expected a non-negative number, Nx, x or no`, bw.offset));
    const spec = rule.bandwidth;
    // `1.2x` is valid (the media rate, else 1.2 kbps), but nobody means a 1.2 kbps fallback:
    // it reads like "1.2 × the media rate", which is `x` with a ratio of 120.
    if (warn && spec.kind === 'dynamic' && spec.fallbackBytesPerSecond !== null && spec.fallbackBytesPerSecond < NX_WARN_BELOW) {
      const kbps = Math.round(spec.fallbackBytesPerSecond * 8) / 1000;
      const ratio = Math.round(Number(bw.text.slice(0, -1)) * 100);
      warn(`"${bw.text}" means the media's encoding rate, or ${kbps} kbps when it is unknown; did you mean a ratio ("x, ${ratio}": ${ratio} % of the media rate)?`, bw.offset + 1);
    }
  }
  if (ratio && ratio.text !== '') {
    const n = parseAmount(ratio.text);
    if (n === null) throw fail(`bad ratio "${ratio.text}"; expected a non-negative percentage`, ratio.offset);
    rule.ratio = n;
  }
  if (boost && boost.text !== '') {
    const b = parseBoostValue(boost.text);
    if (b === null) throw fail(`bad boost "${boost.text}"; expected ${BOOST_FORMS}`, boost.offset);
    if ('bytes' in b) rule.boostBytes = b.bytes;
    else rule.boost = b.seconds;
  }
  return rule;
}

/**
 * A bandwidth field: a number (in `unit`), a number with its own unit (`800kbps`,
 * docs/config.md "Amounts in JavaScript"), `Nx`, `x` or `no` (docs/spec.md §2).
 */
export function parseBandwidthField(text: string, unit: BandwidthUnit, onError: () => Error): BandwidthSpec {
  const t = text.trim().toLowerCase();
  if (t === 'no') return { kind: 'no' };
  if (t === 'x') return { kind: 'dynamic', fallbackBytesPerSecond: null };
  if (t.endsWith('x')) {
    const n = parseAmount(t.slice(0, -1));
    if (n === null) throw onError();
    return { kind: 'dynamic', fallbackBytesPerSecond: toBytesPerSecond(n, unit) };
  }
  if (hasUnit(t)) {
    const r = readRate(text.trim());
    if (!r.ok) throw onError();
    return { kind: 'fixed', bytesPerSecond: r.value };
  }
  const n = parseAmount(t);
  if (n === null) throw onError();
  return { kind: 'fixed', bytesPerSecond: toBytesPerSecond(n, unit) };
}

/** Boost seconds: `5`, `5s`, `5sec`, `5secs`, and STON's time expressions (`1min 30secs`). */
export function parseBoost(text: string): number | null {
  return parseDuration(text);
}
