import { parseRuleList } from '../../lib/policy/parse-rule-list';

const opts = { file: 'svc/a/throttling.txt', unit: 'mbps' as const, caseInsensitive: false, geoip: false };

describe('rule bandwidths with their own unit', () => {
  it.each<[string, number]>([
    ['800kbps', 100_000],
    ['2 Mbps', 250_000],
    ['64KiB/s', 65_536],
    ['2', 250_000], // a bare number stays in the vhost's unit (mbps here)
  ])('reads %j as %d bytes/s', (field, bytes) => {
    const { rules, errors } = parseRuleList(`*, ${field}`, opts);
    expect(errors).toEqual([]);
    expect(rules[0]?.bandwidth).toEqual({ kind: 'fixed', bytesPerSecond: bytes });
  });

  it.each(['500kb', '2MB/s', 'fastkbps', '800kbpsx', '-1kbps'])('refuses %j with file:line:col', (field) => {
    const { errors } = parseRuleList(`# c\n*, ${field}`, opts);
    expect(errors.map((e) => e.format())).toEqual([`svc/a/throttling.txt:2:4: bad bandwidth "${field}"; expected a non-negative number, Nx, x or no`]);
  });

  it.each<[string, string, number[]]>([
    ['1x in mbps (1 Mbps fallback)', '*, 1x', []],
    ['0.005x in mbps (5 kbps fallback)', '*, 0.005x', [1]],
    ['x alone', '*, x', []],
  ])('warns on an Nx under 10 kbps only: %s', (_what, line, warnedLines) => {
    expect(parseRuleList(line, opts).warnings.map((w) => w.line)).toEqual(warnedLines);
  });
});
