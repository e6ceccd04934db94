import { execFileSync } from 'node:child_process';
import path from 'node:path';

// `explain --file` through the real bin and the real media probe: the `x` rate of the
// chapter's `$URL[/vod/*.mp4], 1000x, 120, 5` comes from the file's encoding rate.
const root = path.join(__dirname, '../..');
const conf = path.join(root, 'test/fixtures/conf/valid');
const media = path.join(root, 'test/fixtures/media');

function explain(args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['bin/koa-bandwidth.js', 'explain', '--conf', conf, '--host', 'vod.example.com', ...args], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('koa-bandwidth explain --file', () => {
  it('derives the rate of an x rule from the probed MP4', () => {
    const plan = explain(['--url', '/vod/movie.mp4', '--header', 'User-Agent: t', '--file', path.join(media, 'moov-last.mp4')]);
    // probe: 197.091 kbps; ratio 120 %.
    expect(plan.dynamic).toBe(true);
    expect(plan.bandwidthKbps).toBeCloseTo(197.091 * 1.2, 0);
    expect(plan.boostBytes).toBeCloseTo((197_091 * 1.2 * 5) / 8, -2);
  });

  it('falls back to N of Nx when the file has no encoding rate', () => {
    const plan = explain(['--url', '/vod/movie.mp4', '--header', 'User-Agent: t', '--file', path.join(media, 'expected.json')]);
    expect(plan.dynamic).toBe(true);
    expect(plan.bandwidthKbps).toBe(1200);
  });

  it('derives an MP3 rate for a rule without user-agent', () => {
    const plan = explain(['--url', '/song.mp3', '--file', path.join(media, 'cbr.mp3')]);
    expect(plan.rule).toEqual({ line: 5, text: '!HEADER[user-agent], 500x' });
    // a 64 kbps CBR file, ratio 100 %.
    expect(plan.bandwidthKbps).toBeCloseTo(64, 0);
  });
});
