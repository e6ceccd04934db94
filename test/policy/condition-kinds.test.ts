import { compileCondition } from '../../lib/policy/condition';
import { MatchContext } from '../../lib/policy/match-context';
import { parseRuleList } from '../../lib/policy/parse-rule-list';
import type { RequestFacts } from '../../lib/types';

const facts = (f: Partial<RequestFacts>): RequestFacts => ({ ip: '10.0.0.1', path: '/a.mp4', headers: {}, query: {}, ...f });
const matches = (condition: string, f: Partial<RequestFacts>): boolean => compileCondition(condition, { caseInsensitive: false, geoip: false })(new MatchContext(facts(f)));
const opts = { file: 'svc/www/throttling.txt', unit: 'kbps' as const, caseInsensitive: false, geoip: false };
/** `file:line:col: message` of each error of a one-line rule list. */
const errorsOf = (line: string): string[] => parseRuleList(line, opts).errors.map((e) => e.format());

describe('PROTOCOL terms', () => {
  it.each([
    ['$PROTOCOL[https]', { protocol: 'https' }, true],
    ['$PROTOCOL[https]', { protocol: 'http' }, false],
    ['$PROTOCOL[HTTPS]', { protocol: 'https' }, true],
    ['$PROTOCOL[http|https]', { protocol: 'http' }, true],
    ['$PROTOCOL[http | https]', { protocol: 'https' }, true],
    ['!PROTOCOL[https]', { protocol: 'http' }, true],
    ['!PROTOCOL[https]', { protocol: 'https' }, false],
    ['PROTOCOL[http]', {}, true], // the default is http
    ['protocol[https]', {}, false],
    ['$PROTOCOL[https] & $URL[*.mp4]', { protocol: 'https', path: '/v/a.mp4' }, true],
    ['$PROTOCOL[https] & $URL[*.mp4]', { protocol: 'https', path: '/v/a.m4a' }, false],
  ])('%s with %j → %s', (cond, f, want) => {
    expect(matches(cond, f)).toBe(want);
  });
});

describe('METHOD terms', () => {
  it.each([
    ['$METHOD[GET]', { method: 'GET' }, true],
    ['$METHOD[GET]', { method: 'HEAD' }, false],
    ['$METHOD[get|head]', { method: 'HEAD' }, true],
    ['$METHOD[GET|HEAD|POST]', { method: 'POST' }, true],
    ['!METHOD[GET|HEAD]', { method: 'POST' }, true],
    ['!METHOD[GET|HEAD]', { method: 'GET' }, false],
    ['METHOD[GET]', {}, true], // facts without a method are a GET
    ['$METHOD[PURGE]', { method: 'PURGE' }, true],
    ['$METHOD[GET] & $PROTOCOL[https]', { method: 'GET', protocol: 'http' }, false],
  ])('%s with %j → %s', (cond, f, want) => {
    expect(matches(cond, f)).toBe(want);
  });
});

describe('MIME terms', () => {
  it.each([
    ['$MIME[video/*]', { mime: 'video/mp4' }, true],
    ['$MIME[video/*]', { mime: 'audio/mp4' }, false],
    ['$MIME[video/mp4|audio/*]', { mime: 'audio/mpeg' }, true],
    ['$MIME[Video/MP4]', { mime: 'video/mp4' }, true],
    ['$MIME[*]', { mime: 'text/html' }, true],
    ['$MIME[video/*]', { mime: '' }, false], // before the handlers set a type
    ['!MIME[video/*]', { mime: '' }, true],
    ['!MIME[video/*]', { mime: 'video/webm' }, false],
    ['$MIME[application/vnd.apple.mpegurl]', { mime: 'application/vnd.apple.mpegurl' }, true],
    ['$MIME[video/*] & $URL[/vod/*]', { mime: 'video/mp4', path: '/vod/a' }, true],
  ])('%s with %j → %s', (cond, f, want) => {
    expect(matches(cond, f)).toBe(want);
  });

  it('marks the rules that read the response type, and only those', () => {
    const { rules } = parseRuleList('$MIME[video/*], 500\n$URL[*.mp4], 800\n!MIME[audio/*] & $URL[/a/*], 100', opts);
    expect(rules.map((r) => r.usesMime === true)).toEqual([true, false, true]);
  });
});

describe('check errors at file:line:col', () => {
  it.each([
    // Operators that do not exist: a typo would otherwise match nothing, silently.
    ['$URL[/a/*] | $URL[/b/*], 100', 'svc/www/throttling.txt:1:12: "|" is not an operator: terms are joined by "&" (all must match); write one rule line per alternative'],
    ['$URL[/a/*] || $URL[/b/*], 100', 'svc/www/throttling.txt:1:12: "||" is not an operator: terms are joined by "&" (all must match); write one rule line per alternative'],
    ['$URL[/a/*] OR $URL[/b/*], 100', 'svc/www/throttling.txt:1:12: "OR" is not an operator: terms are joined by "&" (all must match); write one rule line per alternative'],
    ['$URL[/a/*] or $URL[/b/*], 100', 'svc/www/throttling.txt:1:12: "OR" is not an operator: terms are joined by "&" (all must match); write one rule line per alternative'],
    ['$IP[10.0.0.1] AND $URL[/b/*], 100', 'svc/www/throttling.txt:1:15: "AND" is not an operator; join terms with "&"'],
    ['$IP[10.0.0.1] && $URL[/b/*], 100', 'svc/www/throttling.txt:1:15: "&&" is not an operator; join terms with a single "&"'],
    ['   $URL[/a] | *.mp4', 'svc/www/throttling.txt:1:13: "|" is not an operator: terms are joined by "&" (all must match); write one rule line per alternative'],
    // Two terms without "&": the second is not swallowed into the first's brackets.
    ['$URL[/a/*] $URL[/b/*], 100', 'svc/www/throttling.txt:1:11: unexpected text after "]" in "URL[/a/*] $URL[/b/*]"; join terms with "&"'],
    // Unknown kinds and bad bodies.
    ['$COOKIE[sid], 100', 'svc/www/throttling.txt:1:2: unknown condition kind "COOKIE"; expected IP, HEADER, URL, PROTOCOL, METHOD or MIME'],
    ['$PROTOCOL[ftp], 100', 'svc/www/throttling.txt:1:11: bad protocol "ftp"; expected http or https, separated by "|"'],
    ['$PROTOCOL[http|], 100', 'svc/www/throttling.txt:1:16: bad protocol ""; expected http or https, separated by "|"'],
    ['$METHOD[GET|HE AD], 100', 'svc/www/throttling.txt:1:13: bad method "HE AD"; expected HTTP methods such as GET|HEAD, separated by "|"'],
    ['$MIME[video], 100', 'svc/www/throttling.txt:1:7: bad media type "video"; expected type/subtype patterns such as video/* or audio/mp4, separated by "|"'],
    ['$MIME[video/*|], 100', 'svc/www/throttling.txt:1:15: bad media type ""; expected type/subtype patterns such as video/* or audio/mp4, separated by "|"'],
  ])('%j', (line, want) => {
    expect(errorsOf(line)).toEqual([want]);
  });

  it('keeps "|" inside brackets, where it is part of the body', () => {
    expect(errorsOf('$HEADER[x-tag: a|b], 100')).toEqual([]);
    expect(matches('$HEADER[x-tag: a|b]', { headers: { 'x-tag': 'a|b' } })).toBe(true);
    expect(errorsOf('$URL[/or/and/*], 100')).toEqual([]);
    expect(errorsOf('/orders/* & $METHOD[GET], 100')).toEqual([]);
  });
});
