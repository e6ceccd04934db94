import fs from 'node:fs';
import path from 'node:path';
import { probeCommand } from '../../lib/cli/probe';

const dir = path.join(__dirname, '../fixtures/media');
const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, { headerBytes: number; ffprobeDuration: number; ffprobeStreamsBitRate: number }>;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await probeCommand(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('koa-bandwidth probe', () => {
  it('prints one JSON object per file with the docs/spec.md §7 fields', async () => {
    const files = ['moov-last.mp4', 'vbr-xing.mp3', 'fragmented.mp4'].map((n) => path.join(dir, n));
    const { code, out, err } = await run(files);
    expect(code).toBe(0);
    expect(err).toBe('');
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(Object.keys(line)).toEqual(['file', 'container', 'headerBytes', 'bitrateKbps', 'durationSeconds']);
    const [mp4, mp3, frag] = lines;
    expect(mp4).toMatchObject({ file: files[0], container: 'mp4', headerBytes: expected['moov-last.mp4']!.headerBytes });
    expect(Math.abs((mp4!.bitrateKbps as number) - expected['moov-last.mp4']!.ffprobeStreamsBitRate / 1000)).toBeLessThan(expected['moov-last.mp4']!.ffprobeStreamsBitRate / 1000 * 0.03);
    expect(mp4!.durationSeconds).toBeCloseTo(expected['moov-last.mp4']!.ffprobeDuration, 2);
    expect(mp3).toMatchObject({ container: 'mp3', headerBytes: expected['vbr-xing.mp3']!.headerBytes });
    expect(frag).toMatchObject({ container: 'mp4', bitrateKbps: null, durationSeconds: null });
  });

  it('prints null for a file it does not recognise', async () => {
    const { code, out } = await run([path.join(dir, 'expected.json')]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ file: path.join(dir, 'expected.json'), container: null, headerBytes: 0, bitrateKbps: null, durationSeconds: null });
  });

  it('reports a missing file on stderr, exits 1 and still prints the others', async () => {
    const missing = path.join(dir, 'no-such-file.mp4');
    const { code, out, err } = await run([missing, path.join(dir, 'cbr.mp3')]);
    expect(code).toBe(1);
    expect(err).toContain(missing);
    expect(err).toContain('ENOENT');
    expect(JSON.parse(out)).toMatchObject({ container: 'mp3', bitrateKbps: 64, headerBytes: 0 });
  });

  it('prints usage and exits 2 without files', async () => {
    const { code, out, err } = await run([]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/usage: koa-bandwidth probe FILE/);
  });
});
