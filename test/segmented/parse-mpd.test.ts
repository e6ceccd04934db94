import fs from 'node:fs';
import path from 'node:path';
import { mpdTable } from '../../lib/segmented/mpd-table';
import { isoDuration, parseMpd } from '../../lib/segmented/parse-mpd';

const manifest = fs.readFileSync(path.join(__dirname, '../fixtures/segmented/dash/manifest.mpd'), 'utf8');
const mpd = (inner: string, attrs = ''): string => `<?xml version="1.0"?><MPD ${attrs}><Period><AdaptationSet>${inner}</AdaptationSet></Period></MPD>`;

describe('parseMpd', () => {
  it("reads ffmpeg's SegmentTemplate + SegmentTimeline", () => {
    expect(parseMpd(manifest)).toEqual([
      {
        representationId: '0',
        bandwidth: 120000,
        media: 'chunk-stream$RepresentationID$-$Number%05d$.m4s',
        initialization: 'init-stream$RepresentationID$.m4s',
        startNumber: 1,
        timescale: 15360,
        duration: null,
        timeline: [{ t: 0, d: 30720, count: 4, number: 1 }],
      },
    ]);
  });

  it('inherits an AdaptationSet template and lets a Representation override it', () => {
    const tracks = parseMpd(mpd('<SegmentTemplate timescale="1000" duration="4000" media="$RepresentationID$/$Number$.m4s" initialization="$RepresentationID$/init.mp4"/><Representation id="a" bandwidth="100"/><Representation id="b"><SegmentTemplate duration="2000"/></Representation>'));
    expect(tracks?.map((t) => [t.representationId, t.duration, t.timescale, t.media])).toEqual([
      ['a', 4000, 1000, '$RepresentationID$/$Number$.m4s'],
      ['b', 2000, 1000, '$RepresentationID$/$Number$.m4s'],
    ]);
  });

  it('gives r="-1" a count from the next S, or from the presentation duration', () => {
    const tracks = parseMpd(mpd('<Representation id="v"><SegmentTemplate timescale="10" media="$Time$.m4s"><SegmentTimeline><S t="0" d="20" r="-1"/><S t="100" d="30" r="-1"/></SegmentTimeline></SegmentTemplate></Representation>', 'mediaPresentationDuration="PT19S"'));
    expect(tracks?.[0]?.timeline).toEqual([
      { t: 0, d: 20, count: 5, number: 1 },
      { t: 100, d: 30, count: 3, number: 6 },
    ]);
  });

  it.each([
    ['no MPD element', '<html></html>', null],
    ['no template', mpd('<Representation id="a"/>'), []],
    ['an unterminated tag', '<MPD><Period><AdaptationSet><Representation id="a"><SegmentTemplate media="$Number$.m4s"', []],
    ['a comment hiding a template', mpd('<!-- <Representation id="x"><SegmentTemplate media="$Number$.m4s"/></Representation> -->'), []],
    ['an S with no d', mpd('<Representation id="a"><SegmentTemplate media="$Number$.m4s"><SegmentTimeline><S t="0"/></SegmentTimeline></SegmentTemplate></Representation>'), [[]]],
  ])('%s', (_name, text, want) => {
    const tracks = parseMpd(text);
    if (want === null) expect(tracks).toBeNull();
    else expect(tracks?.map((t) => t.timeline)).toEqual(want);
  });

  it('reads hostile text in linear time and bounded memory', () => {
    const t0 = performance.now();
    expect(parseMpd('<MPD ' + 'a'.repeat(900_000))).toEqual([]);
    expect(parseMpd('<MPD><' + 'x="'.repeat(300_000) + '>')).toEqual([]);
    expect(parseMpd('<MPD>' + '<Representation id="a"><SegmentTemplate media="$Number$.m4s"/></Representation>'.repeat(20_000))?.length).toBe(256);
    const timeline = parseMpd(mpd('<Representation id="a"><SegmentTemplate media="$Number$.m4s"><SegmentTimeline>' + '<S d="1" r="999999999999"/>'.repeat(30_000) + '</SegmentTimeline></SegmentTemplate></Representation>'));
    expect(timeline?.[0]?.timeline).toHaveLength(10_000);
    expect(timeline?.[0]?.timeline[0]?.count).toBe(1_000_000_001);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe('isoDuration', () => {
  it.each([
    ['PT8.0S', 8],
    ['PT1H2M3.5S', 3723.5],
    ['P1DT1S', 86401],
    ['PT0S', null],
    ['8', null],
    [undefined, null],
  ])('%s → %s', (s, want) => expect(isoDuration(s)).toBe(want));
});

describe('mpdTable', () => {
  const table = mpdTable(parseMpd(manifest)!, '/dash/manifest.mpd');
  it.each([
    ['/dash/init-stream0.m4s', { kind: 'init' }],
    ['/dash/chunk-stream0-00001.m4s', { kind: 'media', duration: 2, seq: 1 }],
    ['/dash/chunk-stream0-00004.m4s', { kind: 'media', duration: 2, seq: 4 }],
    ['/dash/chunk-stream0-00005.m4s', null],
    ['/dash/chunk-stream1-00001.m4s', null],
    ['/other/chunk-stream0-00001.m4s', null],
  ])('places %s', (p, want) => expect(table.find(p)).toEqual(want));

  it.each([
    ['$Number$ with @duration', '<SegmentTemplate timescale="1000" duration="4000" startNumber="0" media="s-$Number$.m4s"/>', '/v/s-7.m4s', { kind: 'media', duration: 4, seq: 7 }],
    ['$Time$ with @duration', '<SegmentTemplate timescale="1000" duration="4000" media="t-$Time$.m4s"/>', '/v/t-8000.m4s', { kind: 'media', duration: 4, seq: 3 }],
    ['$Time$ off the grid', '<SegmentTemplate timescale="1000" duration="4000" media="t-$Time$.m4s"/>', '/v/t-8001.m4s', null],
    ['$Time$ in a timeline', '<SegmentTemplate timescale="10" media="t-$Time$.m4s"><SegmentTimeline><S t="5" d="20" r="2"/><S d="40"/></SegmentTimeline></SegmentTemplate>', '/v/t-65.m4s', { kind: 'media', duration: 4, seq: 4 }],
    ['$Bandwidth$ and a sub-folder', '<SegmentTemplate duration="2" media="seg/$Bandwidth$_$Number$.m4s"/>', '/v/seg/500_3.m4s', { kind: 'media', duration: 2, seq: 3 }],
    ['a regex character in the name', '<SegmentTemplate duration="2" media="a+(b)$Number$.m4s"/>', '/v/a+(b)3.m4s', { kind: 'media', duration: 2, seq: 3 }],
    ['no duration at all', '<SegmentTemplate media="n$Number$.m4s"/>', '/v/n3.m4s', { kind: 'media', duration: null, seq: 3 }],
  ])('%s', (_name, template, p, want) => {
    const t = mpdTable(parseMpd(mpd(`<Representation id="r" bandwidth="500">${template}</Representation>`))!, '/v/index.mpd');
    expect(t.find(p)).toEqual(want);
  });
});
