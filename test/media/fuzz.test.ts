import fs from 'node:fs';
import path from 'node:path';
import { bufferReader, MAX_READ } from '../../lib/media/byte-reader';
import type { MediaKind } from '../../lib/media/media-kind';
import { probeMedia } from '../../lib/media/probe-media';
import { countingReader } from './build';

// Seeded, so a failure names a case that can be replayed.
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0, 1, 7, 8, 16, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff];

/** One random mutation: flipped bytes, an interesting 32-bit word, a truncation, a cut or a duplicated slice. */
function mutate(src: Buffer, rand: () => number): Buffer {
  const at = (n: number): number => Math.floor(rand() * n);
  const buf = Buffer.from(src);
  switch (at(5)) {
    case 0:
      for (let i = 1 + at(8); i > 0; i--) buf[at(buf.length)] = at(256);
      return buf;
    case 1: {
      // Mostly near the start, where the box sizes and tags live.
      const pos = rand() < 0.7 ? at(Math.min(buf.length - 4, 4096)) : at(buf.length - 4);
      buf.writeUInt32BE(rand() < 0.6 ? INTERESTING[at(INTERESTING.length)]! : at(2 ** 32), pos);
      return buf;
    }
    case 2:
      return buf.subarray(0, at(buf.length));
    case 3: {
      const from = at(buf.length);
      return Buffer.concat([buf.subarray(0, from), buf.subarray(from + 1 + at(512))]);
    }
    default: {
      const from = at(buf.length);
      return Buffer.concat([buf.subarray(0, from), buf.subarray(from, from + at(256)), buf.subarray(from)]);
    }
  }
}

const dir = path.join(__dirname, '../fixtures/media');
const fixtures = fs.readdirSync(dir).filter((n) => /\.(mp4|m4a|mp3)$/.test(n));
const CASES_PER_FIXTURE = 500;

describe('fuzzing the probe with mutated fixtures', () => {
  it.each(fixtures)('%s: never throws, hangs or reads beyond a small bound', async (name) => {
    const original = fs.readFileSync(path.join(dir, name));
    const rand = prng(name.length * 7919 + original.length);
    const kinds: (MediaKind | undefined)[] = [undefined, name.endsWith('.mp3') ? 'mp3' : 'mp4'];
    let recognised = 0;
    for (let i = 0; i < CASES_PER_FIXTURE; i++) {
      let bytes = mutate(original, rand);
      if (rand() < 0.3) bytes = mutate(bytes, rand);
      const reader = countingReader(bufferReader(bytes), 4000);
      const info = await probeMedia(reader, kinds[i % 2]);
      const where = `${name} case ${i}`;
      expect({ where, reads: reader.reads <= 2000 }).toEqual({ where, reads: true });
      expect(reader.maxLength).toBeLessThanOrEqual(MAX_READ);
      expect(reader.bytes).toBeLessThanOrEqual(4 * MAX_READ + 2000 * 16);
      expect(info.headerBytes).toBe(info.header.reduce((s, r) => s + r.end - r.start, 0));
      let last = 0;
      for (const r of info.header) {
        expect(r.start).toBeGreaterThanOrEqual(last);
        expect(r.end).toBeGreaterThan(r.start);
        last = r.end;
      }
      expect(last).toBeLessThanOrEqual(bytes.length);
      for (const x of [info.bitrate, info.duration]) if (x !== null) expect(Number.isFinite(x) && x > 0).toBe(true);
      if (info.bitrate !== null) recognised++;
    }
    // Most mutations leave the file readable: the fuzzer exercises the parsers, not only the sniffing.
    if (!name.startsWith('fragmented')) expect(recognised).toBeGreaterThan(CASES_PER_FIXTURE / 4);
  });
});
