import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileReader, probeFile } from '../../lib/media/probe-file';
import { probeMedia } from '../../lib/media/probe-media';
import { boxHeader64, countingReader, ftyp, moov } from './build';

// docs/spec.md §4: the probe reads only the few ranges it needs, so it is fast on multi-GB files.
describe('a sparse 5 GiB MP4 with a 64-bit mdat and moov at the end', () => {
  const SIZE = 5 * 1024 ** 3;
  const front = ftyp();
  const tail = moov(1000, 3_600_000, 1); // one hour, mvhd version 1
  const moovStart = SIZE - tail.length;
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-sparse-'));
    file = path.join(dir, 'big.mp4');
    const fd = fs.openSync(file, 'w');
    try {
      fs.ftruncateSync(fd, SIZE);
      fs.writeSync(fd, Buffer.concat([front, boxHeader64('mdat', moovStart - front.length)]), 0, undefined, 0);
      fs.writeSync(fd, tail, 0, tail.length, moovStart);
    } finally {
      fs.closeSync(fd);
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('probes with about ten small reads', async () => {
    const handle = await fs.promises.open(file, 'r');
    try {
      const reader = countingReader(fileReader(handle, SIZE));
      const info = await probeMedia(reader, 'mp4');
      expect(info.header).toEqual([{ start: 0, end: front.length }, { start: moovStart, end: SIZE }]);
      expect(info.duration).toBe(3600);
      expect(info.bitrate).toBeCloseTo(((SIZE - front.length - tail.length) * 8) / 3600, 3);
      expect(reader.reads).toBeGreaterThanOrEqual(3);
      expect(reader.reads).toBeLessThanOrEqual(10);
      expect(reader.bytes).toBeLessThanOrEqual(1024);
    } finally {
      await handle.close();
    }
  });

  it('probes through probeFile in well under a second', async () => {
    const started = process.hrtime.bigint();
    const info = await probeFile(file, { cache: false });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(info.headerBytes).toBe(front.length + tail.length);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(1500);
  });
});
