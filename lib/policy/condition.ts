import { compileIpCondition, IpSyntaxError } from './ip-condition';
import type { MatchContext } from './match-context';
import { compilePattern } from './pattern';

/** A compiled rule condition: a conjunction of terms (docs/config.md#rule-lists-svcvhostthrottlingtxt). */
export type Condition = (m: MatchContext) => boolean;

/** Options for compiling conditions, fixed per vhost at load time. */
export interface ConditionOptions {
  /** URL patterns ignore case (the vhost's `<UrlCase>`). */
  caseInsensitive: boolean;
  /** Whether a `geoip` lookup is configured (country codes need one). */
  geoip: boolean;
  /** Told each kind a condition uses (`IP`, `MIME`, …), upper-case: the loader marks vhosts whose rules read the response. */
  onKind?: (kind: string) => void;
}

/** The condition kinds, in the order error messages list them. */
export const CONDITION_KINDS = ['IP', 'HEADER', 'URL', 'PROTOCOL', 'METHOD', 'MIME'] as const;

/** A syntax problem inside a condition, with a 0-based offset into the condition text. */
export class ConditionSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

type Test = (m: MatchContext) => boolean;

/**
 * Compile `term { " & " term }` once, at load time. Terms: `$KIND[body]`, `!KIND[body]`,
 * bare `KIND[body]` (read as `$`), or a bare URL pattern (`*.jpg`).
 * @throws ConditionSyntaxError
 */
export function compileCondition(text: string, opts: ConditionOptions): Condition {
  rejectOperators(text);
  const terms = splitTerms(text);
  const tests = terms.map(({ term, offset }) => compileTerm(term, offset, opts));
  if (tests.length === 1) return tests[0] as Test;
  return (m) => {
    for (const t of tests) if (!t(m)) return false;
    return true;
  };
}

/**
 * A condition has one operator, `&`. Text that reads as another (`|`, `||`, `OR`, `AND`,
 * `&&`) outside brackets would otherwise be taken as part of a pattern and silently match
 * nothing, so it is an error at its column.
 */
function rejectOperators(text: string): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (depth > 0) continue;
    else if (c === '|') throw new ConditionSyntaxError(`"${text[i + 1] === '|' ? '||' : '|'}" is not an operator: terms are joined by "&" (all must match); write one rule line per alternative`, i);
    else if (c === '&' && text[i + 1] === '&') throw new ConditionSyntaxError('"&&" is not an operator; join terms with a single "&"', i);
    else if ((i === 0 || /\s/.test(text[i - 1] as string)) && /[AaOo]/.test(c as string)) {
      const word = /^(and|or)(?=\s|$)/i.exec(text.slice(i));
      if (word) {
        const w = (word[1] as string).toUpperCase();
        throw new ConditionSyntaxError(w === 'AND' ? '"AND" is not an operator; join terms with "&"' : '"OR" is not an operator: terms are joined by "&" (all must match); write one rule line per alternative', i);
      }
    }
  }
}

/** Split on `&` outside brackets; report unbalanced brackets. */
function splitTerms(text: string): { term: string; offset: number }[] {
  const out: { term: string; offset: number }[] = [];
  let depth = 0;
  let start = 0;
  let open = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') {
      if (depth === 0) open = i;
      depth++;
    } else if (c === ']') {
      if (depth === 0) throw new ConditionSyntaxError('unbalanced "]": no "[" opens it', i);
      depth--;
    } else if (c === '&' && depth === 0) {
      out.push(trimmed(text, start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new ConditionSyntaxError('unbalanced "[": expected "]" before the end of the condition', open);
  out.push(trimmed(text, start, text.length));
  for (const t of out) if (t.term === '') throw new ConditionSyntaxError('empty term; expected $KIND[...], !KIND[...] or a URL pattern', t.offset);
  return out;
}

function trimmed(text: string, from: number, to: number): { term: string; offset: number } {
  const raw = text.slice(from, to);
  const lead = raw.length - raw.trimStart().length;
  return { term: raw.trim(), offset: from + lead };
}

function compileTerm(term: string, offset: number, opts: ConditionOptions): Test {
  const negate = term.startsWith('!');
  const body = term.startsWith('!') || term.startsWith('$') ? term.slice(1) : term;
  const bodyOffset = offset + (term.length - body.length);
  const test = compilePositive(body, bodyOffset, opts);
  return negate ? (m) => !test(m) : test;
}

function compilePositive(term: string, offset: number, opts: ConditionOptions): Test {
  const bracket = term.indexOf('[');
  if (bracket < 0) {
    // No kind: a URL pattern (docs/config.md).
    if (term === '') throw new ConditionSyntaxError('empty condition; expected $KIND[...] or a URL pattern', offset);
    return urlTest(term, opts);
  }
  const kind = term.slice(0, bracket);
  const close = closingBracket(term, bracket);
  if (close !== term.length - 1) throw new ConditionSyntaxError(`unexpected text after "]" in "${term}"; join terms with "&"`, offset + close + 1);
  const body = term.slice(bracket + 1, -1);
  const bodyOffset = offset + bracket + 1;
  const upper = kind.toUpperCase();
  if ((CONDITION_KINDS as readonly string[]).includes(upper)) opts.onKind?.(upper);
  switch (upper) {
    case 'IP':
      try {
        return compileIpCondition(body, opts.geoip);
      } catch (e) {
        if (e instanceof IpSyntaxError) throw new ConditionSyntaxError(e.message, bodyOffset);
        throw e;
      }
    case 'HEADER':
      return headerTest(body, bodyOffset);
    case 'URL':
      if (body.trim() === '') throw new ConditionSyntaxError('empty URL pattern', bodyOffset);
      return urlTest(body.trim(), opts);
    case 'PROTOCOL':
      return listTest(body, bodyOffset, 'protocol', (v) => (/^https?$/i.test(v) ? v.toLowerCase() : null), 'http or https', (m) => m.protocol());
    case 'METHOD':
      return listTest(body, bodyOffset, 'method', (v) => (/^[!#$%&'*+\-.^_`~0-9A-Za-z]+$/.test(v) ? v.toUpperCase() : null), 'HTTP methods such as GET|HEAD', (m) => m.method());
    case 'MIME':
      return mimeTest(body, bodyOffset);
    default:
      throw new ConditionSyntaxError(`unknown condition kind "${kind}"; expected ${CONDITION_KINDS.slice(0, -1).join(', ')} or ${CONDITION_KINDS[CONDITION_KINDS.length - 1]}`, offset);
  }
}

/** Where the `]` that closes the `[` at `open` is; -1 when none does. */
function closingBracket(term: string, open: number): number {
  let depth = 0;
  for (let i = open; i < term.length; i++) {
    if (term[i] === '[') depth++;
    else if (term[i] === ']' && --depth === 0) return i;
  }
  return -1;
}

/**
 * `PROTOCOL[http|https]`, `METHOD[GET|HEAD]`: a `|`-separated list inside the brackets (the
 * only place `|` means "or"). Values are compared case-insensitively.
 */
function listTest(body: string, offset: number, what: string, norm: (v: string) => string | null, expected: string, get: (m: MatchContext) => string): Test {
  const values = new Set<string>();
  let at = 0;
  for (const raw of body.split('|')) {
    const v = norm(raw.trim());
    if (v === null) throw new ConditionSyntaxError(`bad ${what} "${raw.trim()}"; expected ${expected}, separated by "|"`, offset + at + (raw.length - raw.trimStart().length));
    values.add(v);
    at += raw.length + 1;
  }
  return (m) => values.has(get(m));
}

/**
 * `MIME[video/*|audio/mp4]`: patterns against the response's media type, lower-case and
 * without parameters (`video/mp4` of `video/mp4; codecs=...`). The type is the response's,
 * known once the handlers have set the body: see docs/config.md for when it is evaluated.
 */
function mimeTest(body: string, offset: number): Test {
  const matchers: ((t: string) => boolean)[] = [];
  let at = 0;
  for (const raw of body.split('|')) {
    const p = raw.trim().toLowerCase();
    if (!/^[a-z0-9!#$&^_.+*-]+\/[a-z0-9!#$&^_.+*-]+$/.test(p) && p !== '*') {
      throw new ConditionSyntaxError(`bad media type "${raw.trim()}"; expected type/subtype patterns such as video/* or audio/mp4, separated by "|"`, offset + at + (raw.length - raw.trimStart().length));
    }
    matchers.push(compilePattern(p));
    at += raw.length + 1;
  }
  return (m) => {
    const t = m.mime();
    if (t === '') return false;
    for (const match of matchers) if (match(t)) return true;
    return false;
  };
}

function urlTest(pattern: string, opts: ConditionOptions): Test {
  const match = compilePattern(pattern, opts.caseInsensitive);
  const ci = opts.caseInsensitive;
  return (m) => match(m.path(ci));
}

/** `Key` present; `Key:` present and empty; `Key : pattern` value matches. Keys ignore case. */
function headerTest(body: string, offset: number): Test {
  const colon = body.indexOf(':');
  const key = (colon < 0 ? body : body.slice(0, colon)).trim().toLowerCase();
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(key)) throw new ConditionSyntaxError(`bad header name "${key}"; expected an HTTP token`, offset);
  if (colon < 0) return (m) => m.header(key) !== undefined;
  const pattern = body.slice(colon + 1).trim();
  if (pattern === '') return (m) => m.header(key) === '';
  const match = compilePattern(pattern);
  return (m) => {
    const v = m.header(key);
    return v !== undefined && match(v);
  };
}
