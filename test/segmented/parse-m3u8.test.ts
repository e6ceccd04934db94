import fs from 'node:fs';
import path from 'node:path';
import { m3u8Table, MAX_HLS_SEGMENTS, parseM3u8 } from '../../lib/segmented/parse-m3u8';

const fixture = (p: string): string => fs.readFileSync(path.join(__dirname, '../..', p), 'utf8');

describe('parseM3u8', () => {
  it('reads a media playlist of TS segments: durations and sequence numbers', () => {
    const p = parseM3u8(fixture('example-app/media/hls/low/index.m3u8'));
    expect(p).toMatchObject({ type: 'media', mediaSequence: 0, init: [] });
    if (p?.type !== 'media') throw new Error('not media');
    expect(p.segments).toHaveLength(6);
    expect(p.segments[3]).toEqual({ uri: 'seg_003.ts', duration: 2, seq: 3 });
  });

  it('reads the EXT-X-MAP init segment of an fMP4 playlist', () => {
    const p = parseM3u8(fixture('test/fixtures/segmented/fmp4/index.m3u8'));
    expect(p).toMatchObject({ type: 'media', init: ['init.mp4'] });
  });

  it('reads a master playlist: variants and their BANDWIDTH', () => {
    expect(parseM3u8(fixture('example-app/media/hls/master.m3u8'))).toEqual({
      type: 'master',
      variants: [
        { uri: 'low/index.m3u8', bandwidth: 70400 },
        { uri: 'mid/index.m3u8', bandwidth: 191400 },
        { uri: 'high/index.m3u8', bandwidth: 356400 },
      ],
    });
  });

  it.each([
    ['no #EXTM3U', 'hello\nseg.ts', null],
    ['empty', '', null],
    ['a BOM before #EXTM3U', '\uFEFF#EXTM3U\n#EXTINF:4,\na.ts', [{ uri: 'a.ts', duration: 4, seq: 0 }]],
    ['CRLF line ends', '#EXTM3U\r\n#EXTINF:4.5,title\r\na.ts\r\n', [{ uri: 'a.ts', duration: 4.5, seq: 0 }]],
    ['a media sequence', '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:41\n#EXTINF:2,\na.ts\n#EXTINF:2,\nb.ts', [{ uri: 'a.ts', duration: 2, seq: 41 }, { uri: 'b.ts', duration: 2, seq: 42 }]],
    ['a negative EXTINF', '#EXTM3U\n#EXTINF:-3,\na.ts', [{ uri: 'a.ts', duration: null, seq: 0 }]],
    ['a NaN EXTINF', '#EXTM3U\n#EXTINF:abc,\na.ts', [{ uri: 'a.ts', duration: null, seq: 0 }]],
    ['an Infinity EXTINF', '#EXTM3U\n#EXTINF:1e999,\na.ts', [{ uri: 'a.ts', duration: null, seq: 0 }]],
    ['a URI with no EXTINF', '#EXTM3U\na.ts\n#EXTINF:2,\nb.ts', [{ uri: 'b.ts', duration: 2, seq: 0 }]],
    ['a hostile media sequence', '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:99999999999999999999\n#EXTINF:2,\na.ts', [{ uri: 'a.ts', duration: 2, seq: 0 }]],
  ])('%s', (_name, text, segments) => {
    const p = parseM3u8(text);
    if (segments === null) expect(p).toBeNull();
    else expect(p).toMatchObject({ type: 'media', segments });
  });

  it.each([
    ['URI="init.mp4"', ['init.mp4']],
    ['BYTERANGE="800@0",URI="a, b.mp4"', ['a, b.mp4']],
    ['URI=', []],
    ['URI="unterminated', []],
    ['', []],
  ])('EXT-X-MAP:%s', (attrs, init) => {
    expect(parseM3u8(`#EXTM3U\n#EXT-X-MAP:${attrs}\n#EXTINF:2,\na.m4s`)).toMatchObject({ init });
  });

  it('keeps at most MAX_HLS_SEGMENTS segments of a huge playlist, quickly', () => {
    const text = '#EXTM3U\n' + '#EXTINF:1,\na.ts\n'.repeat(MAX_HLS_SEGMENTS + 10);
    const t0 = performance.now();
    const p = parseM3u8(text);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(p?.type === 'media' && p.segments.length).toBe(MAX_HLS_SEGMENTS);
  });

  it('reads hostile text in linear time (one long line, many quotes)', () => {
    const t0 = performance.now();
    expect(parseM3u8('#EXTM3U\n#EXT-X-MAP:' + 'A=",'.repeat(200_000))).toMatchObject({ type: 'media', init: [] });
    expect(parseM3u8('#EXTM3U\n#EXT-X-STREAM-INF:' + 'X=1,'.repeat(200_000) + '\nv.m3u8')).toMatchObject({ type: 'master' });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('m3u8Table', () => {
  const base = '/hls/low/index.m3u8';
  it.each([
    ['/hls/low/seg_002.ts', { kind: 'media', duration: 2, seq: 2 }],
    ['/hls/mid/seg_002.ts', null],
    ['/hls/low/seg_999.ts', null],
  ])('places %s', (p, entry) => {
    const table = m3u8Table(parseM3u8(fixture('example-app/media/hls/low/index.m3u8'))!, base);
    expect(table.find(p)).toEqual(entry);
  });

  it('resolves relative, absolute-path and same-origin-free URIs against the playlist', () => {
    const table = m3u8Table(parseM3u8('#EXTM3U\n#EXT-X-MAP:URI="../init.mp4"\n#EXTINF:2,\n/abs/a.m4s\n#EXTINF:2,\nsub/b%20c.m4s\n#EXTINF:2,\nhttp://cdn.example/x.m4s')!, '/v/1/index.m3u8');
    expect(table.find('/v/init.mp4')).toEqual({ kind: 'init' });
    expect(table.find('/abs/a.m4s')).toEqual({ kind: 'media', duration: 2, seq: 0 });
    expect(table.find('/v/1/sub/b c.m4s')).toEqual({ kind: 'media', duration: 2, seq: 1 });
    expect(table.find('/x.m4s')).toBeNull();
    expect(table.size).toBe(3);
  });

  it('sums the durations of a file listed many times (EXT-X-BYTERANGE)', () => {
    const table = m3u8Table(parseM3u8('#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:100@0\nall.ts\n#EXTINF:3,\n#EXT-X-BYTERANGE:100@100\nall.ts')!, '/i.m3u8');
    expect(table.find('/all.ts')).toEqual({ kind: 'media', duration: 5, seq: 0 });
  });
});
