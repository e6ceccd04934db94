import { mergeControl, readChange, type BandwidthChange } from '../../lib/bandwidth-state';
import { OptionError } from '../../lib/errors';
import { applyControl, type PlanControl } from '../../lib/policy/plan-control';
import { DEFAULT_LIMITS, resolvePlan, withEncodingRate } from '../../lib/policy/resolve-plan';
import type { RequestFacts } from '../../lib/types';
import { vhost } from './vhost';

const facts = (f: Partial<RequestFacts> = {}): RequestFacts => ({ ip: '10.0.0.1', path: '/a.mp4', headers: {}, query: {}, ...f });
// <Settings> 1000 kbps (125,000 B/s), ratio 100, boost 5 s; one rule at 800 kbps, 150 %, 2 s; one `no`; one `x`.
const v = vhost({ throttling: true, queryString: true, params: { boost: 'b' } }, ['$URL[/r/*], 800, 150, 2', '$URL[/no/*], no', '$URL[/x/*], 400x, 200', '$URL[/bytes/*], 800, , 512KB']);
const plan = (path: string) => resolvePlan(facts({ path }), v, null, DEFAULT_LIMITS);

describe('byte and time boosts in the resolver', () => {
  it('keeps a byte boost as bytes, whatever the rate', () => {
    const p = plan('/bytes/a');
    expect(p).toMatchObject({ boostBy: 'bytes', boostBytes: 524_288, rate: 100_000 });
    expect(p.boostSeconds).toBeCloseTo(5.24288, 6);
    const probed = withEncodingRate({ ...p, dynamic: true }, 800_000);
    expect(probed).toMatchObject({ boostBytes: 524_288, rate: 100_000 });
  });

  it('reads a query boost with time units, as strictly as config', () => {
    const q = (b: string) => resolvePlan(facts({ path: '/r/a', query: { boost: b } }), v, null, DEFAULT_LIMITS).boostSeconds;
    expect(q('1min 30secs')).toBe(90);
    expect(q('10s')).toBe(10);
    expect(q('10')).toBe(10);
    expect(q('5m')).toBe(2); // not a time: ignored, the rule's 2 s stay
    expect(q('1e3')).toBe(2);
  });

  it('reads a byte boost from <Settings> and from a route', () => {
    const vb = vhost({ throttling: true, boost: '64KB' }, ['*, 800']);
    expect(resolvePlan(facts(), vb, null, DEFAULT_LIMITS)).toMatchObject({ boostBy: 'bytes', boostBytes: 65_536 });
    expect(resolvePlan(facts(), vb, { boostBytes: 1000 }, DEFAULT_LIMITS)).toMatchObject({ boostBytes: 1000 });
    expect(resolvePlan(facts(), vb, { boost: 1 }, DEFAULT_LIMITS)).toMatchObject({ boostSeconds: 1, boostBytes: 100_000 });
    expect(resolvePlan(facts(), vb, { boost: 1 }, DEFAULT_LIMITS).boostBy).toBeUndefined();
  });
});

describe('applyControl (the per-response layer)', () => {
  it.each([
    ['nothing: the plan as resolved', '/r/a', {}, { throttle: true, rate: 150_000, ratio: 150, boostSeconds: 2 }],
    ['BT off', '/r/a', { throttle: false }, { throttle: false, rate: null, bandwidth: null, boostBytes: 0, sessionCap: 0 }],
    ['a rate replaces the bandwidth at 100 %', '/r/a', { rate: 50_000 }, { throttle: true, bandwidth: 50_000, ratio: 100, rate: 50_000, boostSeconds: 2, boostBytes: 100_000 }],
    ['a ratio scales the resolved bandwidth', '/r/a', { ratio: 50 }, { throttle: true, bandwidth: 100_000, ratio: 50, rate: 50_000 }],
    ['a rate and a ratio', '/r/a', { rate: 50_000, ratio: 50 }, { rate: 25_000 }],
    ['a rate of 0 is no BT (nginx limit_rate 0)', '/r/a', { rate: 0 }, { throttle: false, rate: null }],
    ['a boost in seconds', '/r/a', { boost: { seconds: 10 } }, { boostSeconds: 10, boostBytes: 1_500_000 }],
    ['a boost in bytes', '/r/a', { boost: { bytes: 4096 } }, { boostBy: 'bytes', boostBytes: 4096 }],
    ['BT on where no rule matched: <Settings>', '/none', { throttle: true }, { throttle: true, rate: 125_000, boostSeconds: 5 }],
    ['a rate where no rule matched: <Settings> boost', '/none', { rate: 10_000 }, { throttle: true, rate: 10_000, boostSeconds: 5, boostBytes: 50_000 }],
    ['above a `no` rule: the app has the last word', '/no/a', { rate: 10_000 }, { throttle: true, rate: 10_000, rule: { line: 2 } }],
    ['a rate on an `x` plan stops it being dynamic', '/x/a', { rate: 10_000 }, { dynamic: false, rate: 10_000 }],
    ['a ratio on an `x` plan keeps it dynamic', '/x/a', { ratio: 100 }, { dynamic: true, rate: 50_000 }],
  ])('%s', (_name, path, control, want) => {
    expect(applyControl(plan(path), control, v.settings)).toMatchObject(want);
  });

  it('returns the same frozen plan when nothing is set', () => {
    const p = plan('/r/a');
    expect(applyControl(p, {}, v.settings)).toBe(p);
    expect(Object.isFrozen(applyControl(p, { ratio: 10 }, v.settings))).toBe(true);
  });
});

describe('readChange (validating ctx.bandwidth.set)', () => {
  it.each<[BandwidthChange, PlanControl]>([
    [{ rate: '2mbps' }, { rate: 250_000 }],
    [{ ratio: '50%' }, { ratio: 50 }],
    [{ rate: 1000 }, { rate: 1000 }],
    [{ rate: null }, { rate: 0 }],
    [{ boost: '1min 30secs' }, { boost: { seconds: 90 } }],
    [{ boost: '512KB' }, { boost: { bytes: 524_288 } }],
    [{ boost: 3 }, { boost: { seconds: 3 } }],
    [{ throttle: false, ratio: 50 }, { throttle: false, ratio: 50 }],
  ])('%j', (change, want) => {
    expect(readChange(change)).toEqual(want);
  });

  it.each([
    [{ rate: -1 }, 'ctx.bandwidth.rate'],
    [{ rate: 'fast' }, 'ctx.bandwidth.rate'],
    [{ rate: Infinity }, 'ctx.bandwidth.rate'],
    [{ ratio: NaN }, 'ctx.bandwidth.ratio'],
    [{ boost: '5m' }, 'ctx.bandwidth.boost'],
    [{ throttle: 'no' }, 'ctx.bandwidth.throttle'],
    [{ speed: 1 }, 'ctx.bandwidth.speed'],
  ])('rejects %j naming %s', (change, option) => {
    expect(() => readChange(change as never)).toThrow(OptionError);
    try {
      readChange(change as never);
    } catch (e) {
      expect((e as OptionError).option).toBe(option);
    }
  });

  it('merges changes: a later rate turns BT back on; rate 0 turns it off', () => {
    expect(mergeControl({ throttle: false }, { rate: 5 })).toEqual({ throttle: true, rate: 5 });
    expect(mergeControl({ rate: 5 }, { ratio: 50 })).toEqual({ throttle: true, rate: 5, ratio: 50 });
    expect(mergeControl({ throttle: true, rate: 5 }, { rate: 0 })).toEqual({ throttle: false });
    expect(mergeControl({ rate: 5, ratio: 50 }, { throttle: false })).toEqual({ rate: 5, ratio: 50, throttle: false });
  });
});
