import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileSource } from '../../lib/meter/body-source';
import { FilePool } from '../../lib/meter/file-pool';

const read = (src: ReturnType<typeof fileSource>, max: number): Promise<Buffer | null> =>
  new Promise((resolve, reject) => src.read(max, (err, chunk) => (err ? reject(err) : resolve(chunk))));

describe('fileSource', () => {
  let dir: string;
  let file: string;
  const size = 200_000;
  const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'body-source-'));
    file = path.join(dir, 'f.bin');
    fs.writeFileSync(file, bytes);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Grants that do not divide the read-ahead used to come back short (the read-ahead's tail),
  // leaving the rest of the grant to wait a whole write period.
  it.each([
    ['8000-byte grants (64 kbps, one write a second)', [8000]],
    ['4000-byte grants', [4000]],
    ['mixed small and large grants', [3000, 9000, 100, 20_000, 7999, 1]],
  ])('meets every grant in full with the file bytes: %s', async (_name, grants) => {
    const pool = new FilePool();
    const start = 1234;
    const end = 150_000;
    const src = fileSource(pool, file, start, end);
    let pos = start;
    for (let i = 0; pos < end; i++) {
      const max = grants[i % grants.length] as number;
      const chunk = await read(src, max);
      expect(chunk).not.toBeNull();
      expect(chunk!.length).toBe(Math.min(max, end - pos));
      expect(chunk!.equals(bytes.subarray(pos, pos + chunk!.length))).toBe(true);
      pos += chunk!.length;
    }
    expect(await read(src, 1000)).toBeNull();
    src.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(pool.size).toBe(0);
  });

  it('reads ahead: a very slow flow costs one read per two 4000-byte grants', async () => {
    const pool = new FilePool();
    const src = fileSource(pool, file, 0, size);
    const spy = jest.spyOn(fs, 'read');
    try {
      for (let i = 0; i < 20; i++) await read(src, 4000);
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(9);
      expect(spy.mock.calls.length).toBeLessThanOrEqual(11);
    } finally {
      spy.mockRestore();
      src.destroy();
    }
  });
});
