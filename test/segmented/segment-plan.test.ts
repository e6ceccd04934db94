import { mediaSeconds, pacedSeconds, segmentPlan, spreadPlan } from '../../lib/segmented/segment-plan';
import { segmentedKind } from '../../lib/segmented/segment-kind';
import type { Plan, SegmentFacts } from '../../lib/types';

const plan = (over: Partial<Plan> = {}): Plan =>
  Object.freeze({ vhost: 'v', throttle: true, rule: { line: 1, text: 'r' }, bandwidth: 125_000, ratio: 150, boostSeconds: 4, boostBytes: 750_000, rate: 187_500, dynamic: true, sessionCap: 10_000, trafficCap: 0, ...over });
const facts = (over: Partial<SegmentFacts> = {}): SegmentFacts => ({ kind: 'media', duration: 2, seq: 3, boosted: 0, viewer: 'a', viewerSource: 'cmcd', ...over });

describe('segmentPlan', () => {
  it.each([
    ['a playlist: no BT, the caps kept', plan(), facts({ kind: 'playlist', duration: null, seq: null }), 1000, { throttle: false, rate: null, bandwidth: null, boostBytes: 0, sessionCap: 10_000 }],
    ['an init segment: no BT', plan(), facts({ kind: 'init' }), 1000, { throttle: false, rate: null, boostBytes: 0 }],
    ['a paced segment under x: size × 8 ÷ duration × ratio', plan(), facts(), 50_000, { throttle: true, bandwidth: 25_000, rate: 37_500, boostBytes: 0 }],
    ['a boosted segment: all of it', plan(), facts({ boosted: 1 }), 50_000, { rate: 37_500, boostBytes: 50_000 }],
    ['a half-boosted segment: its first half', plan(), facts({ boosted: 0.5 }), 50_001, { boostBytes: 25_000 }],
    ['no duration: the fallback rate', plan(), facts({ duration: null }), 50_000, { rate: 187_500, boostBytes: 0 }],
    ['no size: the fallback rate, no boost', plan(), facts({ boosted: 1 }), null, { rate: 187_500, boostBytes: 0 }],
    ['a fixed rule keeps its rate', plan({ dynamic: false }), facts(), 50_000, { rate: 187_500 }],
    ['a segment without BT stays without', plan({ throttle: false, rate: null, bandwidth: null, boostSeconds: 0, boostBytes: 0, dynamic: false }), facts(), 50_000, { throttle: false, rate: null }],
  ])('%s', (_name, p, f, size, want) => {
    const out = segmentPlan(p, f, size);
    expect(out).toMatchObject(want);
    expect(out.segment).toEqual(f);
    expect(Object.isFrozen(out)).toBe(true);
  });
});

describe('spreadPlan and pacedSeconds', () => {
  const paced = segmentPlan(plan(), facts({ boosted: 0.5 }), 50_000); // 25,000 B boost, 37,500 B/s
  it.each([
    ['its own pace keeps the rate', paced, 50_000, 25_000 / 37_500, 37_500],
    ['twice as long halves the rate of the paced bytes', paced, 50_000, (2 * 25_000) / 37_500, 18_750],
    ['never faster than the plan', paced, 50_000, 0.1, 37_500],
    ['no size: unchanged', paced, null, 10, 37_500],
    ['no BT: unchanged', segmentPlan(plan(), facts({ kind: 'init' }), 1000), 1000, 10, null],
  ])('%s', (_name, p, size, seconds, rate) => {
    const out = spreadPlan(p, size, seconds);
    if (rate === null) expect(out).toBe(p);
    else expect(out.rate).toBeCloseTo(rate, 6);
  });

  it.each([
    [paced, 50_000, 25_000 / 37_500],
    [paced, null, 0],
    [segmentPlan(plan(), facts({ kind: 'playlist' }), 100), 100, 0],
  ])('pacedSeconds %#', (p, size, want) => expect(pacedSeconds(p, size)).toBeCloseTo(want, 9));
});

describe('mediaSeconds', () => {
  it.each([
    [2, 50_000, 2],
    [null, 250_000, 2],
    [null, null, 0],
  ])('duration %j, size %j → %j s', (d, size, want) => expect(mediaSeconds(plan(), d, size)).toBe(want));
});

describe('segmentedKind', () => {
  it.each([
    ['/a/index.m3u8', 'playlist'],
    ['/a/INDEX.M3U8', 'playlist'],
    ['/a/manifest.mpd', 'playlist'],
    ['/a/s.ts', 'segment'],
    ['/a/s.m4s', 'segment'],
    ['/a/s.aac', 'segment'],
    ['/a/s.cmfv', 'segment'],
    ['/a/s.cmfa', 'segment'],
    ['/a/init.mp4', 'listed'],
    ['/a/movie.m4a', null],
    ['/a.ts/readme', null],
    ['/noext', null],
  ])('%s → %s', (p, want) => expect(segmentedKind(p)).toBe(want));
});
