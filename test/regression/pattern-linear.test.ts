import { compilePattern } from '../../lib/policy/pattern';

// A regex-based glob backtracks exponentially on `*a*a*a*…b` against `aaaa…`; the indexOf
// matcher is linear per piece. Bound: well under a second for a 100 kB path.
describe('pattern matching cost', () => {
  it('stays fast on adversarial input', () => {
    const match = compilePattern(`${'*a'.repeat(30)}*b`);
    const text = 'a'.repeat(100_000);
    const t0 = process.hrtime.bigint();
    expect(match(text)).toBe(false);
    expect(match(`${text}b`)).toBe(true);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(3000);
  });
});
