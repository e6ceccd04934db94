import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { mediaKind } from '../../lib/media/media-kind';
import { probeBuffer } from '../../lib/media/probe-buffer';
import { probeFile } from '../../lib/media/probe-file';
import { describeWithTools } from '../helpers/system';

/** Recorded by scripts/make-media-fixtures.sh from ffprobe and an independent box listing. */
interface Expected {
  size: number;
  container: 'mp4' | 'mp3';
  header: [number, number][];
  headerBytes: number;
  trailerBytes: number;
  fragmented?: boolean;
  ffprobeDuration: number;
  /** ffprobe's format rate: the whole file (header, cover art) over the duration. */
  ffprobeBitRate: number;
  /** ffprobe's stream rates summed, cover art left out: the encoding rate. */
  ffprobeStreamsBitRate: number;
}

const dir = path.join(__dirname, '../fixtures/media');
const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, Expected>;
const names = Object.keys(expected);

const within = (got: number | null, want: number, tolerance: number): void => {
  expect(got).not.toBeNull();
  expect(Math.abs(got! - want) / want).toBeLessThanOrEqual(tolerance);
};

describe('probing the ffmpeg fixtures', () => {
  it('covers every kind the issue asks for', () => {
    expect(names.sort()).toEqual(['audio.m4a', 'cbr.mp3', 'cover-art.mp3', 'fragmented.mp4', 'moov-first.mp4', 'moov-last.mp4', 'mpeg2.mp3', 'vbr-xing.mp3']);
  });

  describe.each(names)('%s', (name) => {
    const want = expected[name]!;
    const file = path.join(dir, name);

    it('has the size it was recorded with', () => {
      expect(fs.statSync(file).size).toBe(want.size);
    });

    it('finds the header ranges exactly', async () => {
      const info = await probeFile(file, { cache: false });
      expect(info.container).toBe(want.container);
      expect(info.header.map((r) => [r.start, r.end])).toEqual(want.header);
      expect(info.headerBytes).toBe(want.headerBytes);
    });

    if (want.fragmented) {
      it('has an unknown rate (fragmented, no mehd)', async () => {
        const info = await probeFile(file, { cache: false });
        expect(info.bitrate).toBeNull();
        expect(info.duration).toBeNull();
      });
    } else {
      it("agrees with ffprobe's format and stream rates and its duration within 3 %", async () => {
        const info = await probeFile(file, { cache: false });
        within(info.bitrate, want.ffprobeBitRate, 0.03);
        within(info.bitrate, want.ffprobeStreamsBitRate, 0.03);
        within(info.duration, want.ffprobeDuration, 0.03);
      });

      it('computes the rate as payload bytes × 8 ÷ duration', async () => {
        const info = await probeFile(file, { cache: false });
        within(info.bitrate, ((want.size - want.headerBytes - want.trailerBytes) * 8) / info.duration!, 1e-9);
      });
    }

    it('gives the same answer with the extension as a hint', async () => {
      const hinted = await probeFile(file, { cache: false, kind: mediaKind(name) });
      expect(hinted).toEqual(await probeFile(file, { cache: false }));
    });

    it('drops a header above maxHeaderBytes but keeps the rate', async () => {
      const full = await probeFile(file, { cache: false });
      const atBound = await probeFile(file, { cache: false, maxHeaderBytes: want.headerBytes });
      expect(atBound).toEqual(full);
      if (want.headerBytes > 0) {
        const bounded = await probeFile(file, { cache: false, maxHeaderBytes: want.headerBytes - 1 });
        expect(bounded).toEqual({ ...full, header: [], headerBytes: 0 });
      }
    });
  });

  describe('from a bounded prefix (probeBuffer)', () => {
    it('matches probeFile when the header fits in the prefix', async () => {
      for (const name of ['moov-first.mp4', 'audio.m4a', 'vbr-xing.mp3', 'cbr.mp3', 'mpeg2.mp3']) {
        const bytes = fs.readFileSync(path.join(dir, name));
        const info = await probeBuffer(bytes.subarray(0, 16 * 1024), bytes.length);
        expect(info).toEqual(await probeFile(path.join(dir, name), { cache: false }));
      }
    });

    it('has an unknown rate when moov lies beyond the prefix', async () => {
      const bytes = fs.readFileSync(path.join(dir, 'moov-last.mp4'));
      const info = await probeBuffer(bytes.subarray(0, 16 * 1024), bytes.length, { kind: 'mp4' });
      expect(info).toEqual({ container: 'mp4', header: [], headerBytes: 0, bitrate: null, duration: null });
    });
  });
});

describeWithTools({ ffprobe: 'ffmpeg' }, 'the recorded expectations', () => {
  it.each(names)('%s still matches what ffprobe says', (name) => {
    const out = execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path.join(dir, name)], { encoding: 'utf8' });
    const probe = JSON.parse(out) as { format: { duration: string; bit_rate: string }; streams: { bit_rate?: string; disposition?: { attached_pic?: number } }[] };
    const streams = probe.streams.filter((s) => !s.disposition?.attached_pic && s.bit_rate !== undefined);
    expect(streams.reduce((sum, s) => sum + Number(s.bit_rate), 0)).toBe(expected[name]!.ffprobeStreamsBitRate);
    expect(Number(probe.format.duration)).toBe(expected[name]!.ffprobeDuration);
    expect(Number(probe.format.bit_rate)).toBe(expected[name]!.ffprobeBitRate);
  });
});
