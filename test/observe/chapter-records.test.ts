import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import send from 'koa-send';
import { bandwidth, type ResponseRecord } from '../../lib/index';
import { fetch, listen, until } from './http-client';

const conf = path.join(__dirname, '..', 'fixtures', 'conf', 'valid');
const media = path.join(__dirname, '..', 'fixtures', 'media');
const expected = JSON.parse(fs.readFileSync(path.join(media, 'expected.json'), 'utf8')) as Record<string, { size: number; headerBytes: number; trailerBytes: number; ffprobeDuration: number }>;

/** The encoding rate docs/spec.md §4 defines, in kbps: payload bytes × 8 ÷ duration. */
function encodingKbps(file: string): number {
  const e = expected[file]!;
  return ((e.size - e.headerBytes - e.trailerBytes) * 8) / e.ffprobeDuration / 1000;
}

// URL → the fixture served there.
const files: Record<string, string> = {
  'a.mp4': 'moov-first.mp4',
  'music/a.m4a': 'audio.m4a',
  'vod/movie.mp4': 'moov-first.mp4',
  'clip.mp3': 'cbr.mp3',
  'low_quality/a.mp3': 'vbr-xing.mp3',
  'low_quality/notes.txt': 'expected.json',
  'video/sample.wmv': 'cbr.mp3',
};

type Case = [title: string, host: string, url: string, headers: Record<string, string>, plan: Partial<ResponseRecord['plan']>, kbps: number | null, seenUrl: string | null];

const cases: Case[] = [
  // throttling.txt (www.example.com)
  ['$IP[192.168.1.1], 2000, 150, 3', 'www.example.com', '/a.mp4', { 'X-Forwarded-For': '192.168.1.1', Referer: 'r' }, { throttle: true, rule: { line: 5, text: '$IP[192.168.1.1], 2000, 150, 3' }, ratio: 150, boostSeconds: 3, dynamic: false }, 3000, null],
  ['!HEADER[referer], 800', 'www.example.com', '/a.mp4', {}, { throttle: true, rule: { line: 8, text: '!HEADER[referer], 800' }, ratio: 100, boostSeconds: 5, dynamic: false }, 800, null],
  ['HEADER[cookie], , , 10', 'www.example.com', '/a.mp4', { Referer: 'r', Cookie: 'a=1' }, { throttle: true, rule: { line: 11, text: 'HEADER[cookie], , , 10' }, ratio: 100, boostSeconds: 10 }, 1000, null],
  ['$URL[*.m4a], no', 'www.example.com', '/music/a.m4a', { Referer: 'r' }, { throttle: false, rule: { line: 14, text: '$URL[*.m4a], no' } }, null, null],
  // The x lines (vod.example.com): the rate comes from the probed file.
  ['$URL[/vod/*.mp4], 1000x, 120, 5', 'vod.example.com', '/vod/movie.mp4', { 'User-Agent': 'ua' }, { throttle: true, rule: { line: 2, text: '$URL[/vod/*.mp4], 1000x, 120, 5' }, ratio: 120, boostSeconds: 5, dynamic: true }, encodingKbps('moov-first.mp4') * 1.2, null],
  ['!HEADER[user-agent], 500x', 'vod.example.com', '/clip.mp3', {}, { throttle: true, rule: { line: 5, text: '!HEADER[user-agent], 500x' }, ratio: 100, dynamic: true }, encodingKbps('cbr.mp3'), null],
  ['$URL[/low_quality/*], x, 200', 'vod.example.com', '/low_quality/a.mp3', { 'User-Agent': 'ua' }, { throttle: true, rule: { line: 8, text: '$URL[/low_quality/*], x, 200' }, ratio: 200, dynamic: true }, encodingKbps('vbr-xing.mp3') * 2, null],
  ['$URL[/low_quality/*], x, 200 on a file with no encoding rate: <Settings> × 200 %', 'vod.example.com', '/low_quality/notes.txt', { 'User-Agent': 'ua' }, { throttle: true, rule: { line: 8, text: '$URL[/low_quality/*], x, 200' }, ratio: 200, dynamic: true }, 2000, null],
  // QueryString (www.winesoft.co.kr): the record's URL is the one downstream saw.
  ['?myboost=10&mybandwidth=1&myratio=130 → 1.3 Mbps after 10 s', 'www.winesoft.co.kr', '/video/sample.wmv?myboost=10&mybandwidth=1&myratio=130', {}, { throttle: true, rule: null, ratio: 130, boostSeconds: 10, dynamic: false }, 1300, '/video/sample.wmv'],
  ['?myratio=150 → the rest from <Settings>', 'www.winesoft.co.kr', '/video/sample.wmv?tag=3277&myratio=150&date=20130726', {}, { throttle: true, rule: null, ratio: 150, boostSeconds: 3 }, 3000, '/video/sample.wmv?tag=3277&date=20130726'],
];

describe('records carry the plan of each of the chapter’s rule examples', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chapter-'));
  const bw = bandwidth({ conf, watch: false });
  const records: ResponseRecord[] = [];
  bw.events.on('response', (r: ResponseRecord) => records.push(r));
  const app = new Koa();
  app.proxy = true;
  app.use(bw);
  app.use(async (ctx) => {
    await send(ctx, ctx.path, { root });
  });
  let port = 0;
  let close: () => Promise<void>;
  beforeAll(async () => {
    for (const [url, file] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, url)), { recursive: true });
      fs.copyFileSync(path.join(media, file), path.join(root, url));
    }
    ({ port, close } = await listen(app));
  });
  afterAll(async () => {
    await close();
    await bw.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it.each(cases)('%s', async (_title, host, url, headers, plan, kbps, seenUrl) => {
    records.length = 0;
    const got = await fetch(port, url, host, { headers });
    expect(got.status).toBe(200);
    expect(await until(() => records.length === 1, 10_000)).toBe(true);
    const r = records[0]!;
    const file = files[url.slice(1).split('?')[0]!]!;
    expect(r).toMatchObject({ vhost: host, url: seenUrl ?? url, status: 200, bytes: fs.statSync(path.join(media, file)).size, aborted: false, plan });
    expect(got.bytes).toBe(r.bytes);
    if (kbps === null) expect(r.plan.bandwidthKbps).toBeNull();
    else expect(r.plan.bandwidthKbps).toBeCloseTo(kbps, 0);
  });
});
