import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { m3u8Table, parseM3u8 } from '../../lib/segmented/parse-m3u8';
import { mpdTable } from '../../lib/segmented/mpd-table';
import { parseMpd } from '../../lib/segmented/parse-mpd';
import { playlistTable } from '../../lib/segmented/playlist-table';
import { cmcdSid, viewerKey } from '../../lib/segmented/viewer-key';

const ROOT = path.join(__dirname, '..', '..');
const seeds = [
  fs.readFileSync(path.join(ROOT, 'example-app/media/hls/low/index.m3u8'), 'utf8'),
  fs.readFileSync(path.join(ROOT, 'example-app/media/hls/master.m3u8'), 'utf8'),
  fs.readFileSync(path.join(ROOT, 'test/fixtures/segmented/fmp4/index.m3u8'), 'utf8'),
  fs.readFileSync(path.join(ROOT, 'test/fixtures/segmented/dash/manifest.mpd'), 'utf8'),
];

/** A seed playlist with a random slice replaced by random text (tags, quotes, brackets, numbers). */
const mutated = fc
  .tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(), fc.string({ unit: fc.constantFrom('#', 'EXT', ':', ',', '"', '=', '<', '>', '/', '$', 'Number', '%05d', 'S', ' t="', 'd="', 'r="-1"', '\n', '1', '9', '-', '.', 'e', 'é', '\u0000') , maxLength: 200 }))
  .map(([seed, a, b, junk]) => {
    const i = a % (seed.length + 1);
    const j = Math.min(seed.length, i + (b % 64));
    return seed.slice(0, i) + junk + seed.slice(j);
  });

describe('segmented parsers on mutated and arbitrary input', () => {
  it('never throw, and a table answers any path with an entry or null', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 500 })), fc.string({ maxLength: 40 }), (text, p) => {
        const table = playlistTable(text, '/v/index.m3u8');
        for (const q of [`/v/${p}`, '/v/seg_001.ts', '/v/chunk-stream0-00002.m4s', '/v/init.mp4']) {
          const hit = table.find(q);
          if (hit !== null) expect(['init', 'media']).toContain(hit.kind);
          if (hit?.kind === 'media') expect(hit.duration === null || (Number.isFinite(hit.duration) && hit.duration > 0)).toBe(true);
        }
        const hls = parseM3u8(text);
        if (hls) m3u8Table(hls, '/');
        const dash = parseMpd(text);
        if (dash) mpdTable(dash, '/');
      }),
      { numRuns: 500, seed: 14 },
    );
  });

  it('reads any CMCD list and any request without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 100 }), (list, cookie) => {
        const sid = cmcdSid(list);
        if (sid !== null) expect(sid.length).toBeGreaterThan(0);
        const v = viewerKey({ querystring: list, headers: { 'cmcd-session': list, cookie }, ip: '192.0.2.1' }, { param: 'token', cookie: 'pb' });
        expect(v.id.length).toBeLessThanOrEqual(128);
      }),
      { numRuns: 500, seed: 14 },
    );
  });
});
