import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What ffprobe says about a file: the independent truth the tests compare against. */
export interface FfprobeFacts {
  size: number;
  /** Seconds. */
  duration: number;
  /** The whole file over the duration, bits/s (header included). */
  bitRate: number;
}

/** A temp dir for one test file's media; removed by `cleanup()`. */
export function tempMediaDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-e2e-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function ffmpeg(...args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

export async function ffprobe(file: string): Promise<FfprobeFacts> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', file]);
  const format = (JSON.parse(stdout) as { format: { duration: string; bit_rate: string; size: string } }).format;
  return { size: Number(format.size), duration: Number(format.duration), bitRate: Number(format.bit_rate) };
}

// The recipe of scripts/make-media-fixtures.sh, longer: 10 fps, no B-frames, noise so x264
// spends its bitrate. About 150 kbps in all, so the header is ~1 % of the file and
// ffprobe's whole-file rate is within a few % of the payload rate of docs/spec.md §4.
const video = (s: number): string[] => ['-f', 'lavfi', '-i', `testsrc=size=160x120:rate=10:duration=${s}`];
const audio = (s: number): string[] => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=8000:duration=${s}`];
const x264 = ['-vf', 'noise=alls=8:allf=t', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-bf', '0', '-b:v', '130k', '-maxrate', '130k', '-bufsize', '260k', '-g', '10'];
const aac = ['-c:a', 'aac', '-b:a', '16k', '-ac', '1', '-map_metadata', '-1', '-fflags', '+bitexact'];

/** A `seconds`-long ~150 kbps MP4; `moov` first unless `moovLast`. */
export async function makeMp4(file: string, seconds: number, moovLast = false): Promise<void> {
  await ffmpeg(...video(seconds), ...audio(seconds), ...x264, ...aac, ...(moovLast ? [] : ['-movflags', '+faststart']), file);
}

/**
 * A copy of `src` with a `moov` enlarged by a 60 kB comment (udta metadata): a "large
 * header" that would take a minute at 8 kbps. `moov` first unless `moovLast`.
 */
export async function withLargeMoov(src: string, file: string, moovLast = false): Promise<void> {
  await ffmpeg('-i', src, '-c', 'copy', '-metadata', `comment=${'a'.repeat(60_000)}`, ...(moovLast ? [] : ['-movflags', '+faststart']), file);
}

/** A `seconds`-long MP3: CBR at `kbps` without a Xing frame, or VBR (-q:a 4) with one. */
export async function makeMp3(file: string, seconds: number, mode: { cbrKbps: number } | 'vbr'): Promise<void> {
  const src = ['-f', 'lavfi', '-i', `aevalsrc=0.5*sin(440*2*PI*t)+0.2*random(0):s=44100:d=${seconds}`];
  const codec = mode === 'vbr' ? ['-q:a', '4'] : ['-b:a', `${mode.cbrKbps}k`, '-write_xing', '0'];
  await ffmpeg(...src, '-c:a', 'libmp3lame', '-ac', '1', ...codec, file);
}

/** `bytes` of seeded pseudo-random garbage (xorshift32): no box or frame structure. */
export function writeGarbage(file: string, bytes: number, seed = 0x9e3779b9): void {
  const buf = Buffer.alloc(bytes);
  let x = seed >>> 0;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  fs.writeFileSync(file, buf);
}

/** Top-level ISO BMFF boxes `[type, start, end)`: a box listing independent of lib/media. */
export function topLevelBoxes(file: string): Array<{ type: string; start: number; end: number }> {
  const buf = fs.readFileSync(file);
  const out: Array<{ type: string; start: number; end: number }> = [];
  for (let off = 0; off + 8 <= buf.length; ) {
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(off + 8));
    else if (size === 0) size = buf.length - off;
    if (size < 8) break;
    out.push({ type, start: off, end: off + size });
    off += size;
  }
  return out;
}
