import { compileIpCondition, IpSyntaxError } from './ip-condition';
import type { MatchContext } from './match-context';
import { compilePattern } from './pattern';

/** A compiled rule condition: a conjunction of terms (SPEC §2). */
export type Condition = (m: MatchContext) => boolean;

/** Options for compiling conditions, fixed per vhost at load time. */
export interface ConditionOptions {
  /** URL patterns ignore case (the vhost's `<UrlCase>`). */
  caseInsensitive: boolean;
  /** Whether a `geoip` lookup is configured (country codes need one). */
  geoip: boolean;
}

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
  const terms = splitTerms(text);
  const tests = terms.map(({ term, offset }) => compileTerm(term, offset, opts));
  if (tests.length === 1) return tests[0] as Test;
  return (m) => {
    for (const t of tests) if (!t(m)) return false;
    return true;
  };
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
    // No kind: a URL pattern (SPEC §2).
    if (term === '') throw new ConditionSyntaxError('empty condition; expected $KIND[...] or a URL pattern', offset);
    return urlTest(term, opts);
  }
  const kind = term.slice(0, bracket);
  if (!term.endsWith(']')) throw new ConditionSyntaxError(`unexpected text after "]" in "${term}"`, offset + term.lastIndexOf(']') + 1);
  const body = term.slice(bracket + 1, -1);
  const bodyOffset = offset + bracket + 1;
  switch (kind.toUpperCase()) {
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
    default:
      throw new ConditionSyntaxError(`unknown condition kind "${kind}"; expected IP, HEADER or URL`, offset);
  }
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
