/**
 * Reported: `$URL[/a/*] | $URL[/b/*]` (there is no OR) passed `check` and silently matched
 * nothing: the whole line was read as one URL pattern, `/a/*] | $URL[/b/*`. It is now an
 * error at the column of the `|`, and so are `OR`, `AND`, `||`, `&&` and two terms with no
 * `&` between them.
 */
import { parseRuleList } from '../../lib/policy/parse-rule-list';

const opts = { file: 'svc/www/throttling.txt', unit: 'kbps' as const, caseInsensitive: false, geoip: false };

describe('a condition with an operator that does not exist', () => {
  it.each([
    ['$URL[/a/*] | $URL[/b/*], 100', 12],
    ['$URL[/a/*] OR $URL[/b/*], 100', 12],
    ['$URL[/a/*] AND $URL[/b/*], 100', 12],
    ['$URL[/a/*] && $URL[/b/*], 100', 12],
    ['$URL[/a/*] $URL[/b/*], 100', 11],
  ])('%j is an error at column %d, not a rule', (line, column) => {
    const { rules, errors } = parseRuleList(line, opts);
    expect(rules).toEqual([]);
    expect(errors.map((e) => [e.line, e.column])).toEqual([[1, column]]);
  });
});
