import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../cli/cli';

const root = path.join(__dirname, '../..');
const ladder = path.join(root, 'example-app/media/hls');
let conf: string;

beforeAll(() => {
  conf = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-explain-'));
  fs.mkdirSync(path.join(conf, 'svc', 'localhost'), { recursive: true });
  fs.writeFileSync(path.join(conf, 'server.xml'), '<Server><VHostDefault><Options><Viewer Cookie="pb"/><BandwidthThrottling><Throttling>ON</Throttling></BandwidthThrottling></Options></VHostDefault></Server>');
  fs.writeFileSync(path.join(conf, 'vhosts.xml'), '<Vhosts><Vhost Name="localhost"/><Default>localhost</Default></Vhosts>');
  fs.writeFileSync(path.join(conf, 'svc', 'localhost', 'throttling.txt'), '$URL[/hls/*], x, 150, 4\n');
});
afterAll(() => fs.rmSync(conf, { recursive: true, force: true }));

async function explain(args: string[]): Promise<Record<string, unknown>> {
  const r = await run(['explain', '--conf', conf, ...args]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('explain for HLS and DASH', () => {
  it('shows a media segment: its duration from the playlist, its rate, its viewer', async () => {
    const file = path.join(ladder, 'mid/seg_003.ts');
    const size = fs.statSync(file).size;
    const out = await explain(['--url', '/hls/mid/seg_003.ts?CMCD=sid%3D%22abc%22', '--file', file]);
    expect(out.segment).toEqual({ kind: 'media', durationSeconds: 2, seq: 3, encodingKbps: (size * 8) / 2 / 1000, viewer: 'abc', viewerSource: 'cmcd' });
    expect(out.throttle).toBe(true);
    expect(out.bandwidthKbps).toBeCloseTo(((size * 8) / 2 / 1000) * 1.5, 6);
    expect(out.boostBytes).toBe(0);
  });

  it.each([
    ['a playlist', '/hls/mid/index.m3u8', undefined, 'playlist'],
    ['an init segment', '/hls/fmp4/init.mp4', path.join(root, 'test/fixtures/segmented/fmp4/init.mp4'), 'init'],
    ['a DASH init segment', '/hls/dash/init-stream0.m4s', path.join(root, 'test/fixtures/segmented/dash/init-stream0.m4s'), 'init'],
  ])('shows %s as never BT-throttled', async (_what, url, file, kind) => {
    const out = await explain(['--url', url, ...(file ? ['--file', file] : []), '--header', 'Cookie: pb=tok1']);
    expect(out).toMatchObject({ throttle: false, bandwidthKbps: null, segment: { kind, viewer: 'tok1', viewerSource: 'cookie' } });
  });

  it('falls back to the rule for a segment no playlist lists', async () => {
    const out = await explain(['--url', '/hls/x/seg.ts']);
    // `x` falls back to <Settings> (1000 kbps) × 150 %.
    expect(out).toMatchObject({ throttle: true, bandwidthKbps: 1500, segment: { kind: 'media', durationSeconds: null, viewer: '127.0.0.1', viewerSource: 'ip' } });
  });
});
