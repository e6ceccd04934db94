import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OptionError } from '../../lib/errors';
import { ProbeCache } from '../../lib/media/probe-cache';
import { probeFile } from '../../lib/media/probe-file';
import type { MediaInfo } from '../../lib/types';
import { ftyp, mdat, moov } from './build';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-probe-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const openFds = (): number => fs.readdirSync('/proc/self/fd').length;
const mp4 = (seconds: number): Buffer => Buffer.concat([ftyp(), moov(1000, seconds * 1000), mdat(1000)]);

describe('probeFile', () => {
  it('caches by (path, size, mtime) and probes again when the file changes', async () => {
    const file = path.join(dir, 'a.mp4');
    fs.writeFileSync(file, mp4(2));
    const cache = new ProbeCache();
    const first = await probeFile(file, { cache });
    expect(first.duration).toBe(2);
    expect(await probeFile(file, { cache })).toBe(first); // the same object: a hit
    fs.writeFileSync(file, mp4(4)); // same size
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await probeFile(file, { cache })).duration).toBe(4);
  });

  it('shares one probe between concurrent callers', async () => {
    const file = path.join(dir, 'b.mp4');
    fs.writeFileSync(file, mp4(3));
    const cache = new ProbeCache();
    const [x, y] = await Promise.all([probeFile(file, { cache }), probeFile(file, { cache })]);
    expect(x).toBe(y);
    expect(cache.size).toBe(1);
  });

  it('closes every file handle, malformed input included', async () => {
    const good = path.join(dir, 'c.mp4');
    const bad = path.join(dir, 'd.mp3');
    fs.writeFileSync(good, mp4(1));
    fs.writeFileSync(bad, Buffer.from('ID3\x04\0\0\x7f\x7f\x7f\x7f', 'latin1'));
    const before = openFds();
    for (let i = 0; i < 50; i++) {
      await probeFile(good, { cache: false });
      expect((await probeFile(bad, { cache: false, kind: 'mp3' })).bitrate).toBeNull();
    }
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('rejects with the fs error for a missing file', async () => {
    await expect(probeFile(path.join(dir, 'missing.mp4'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('ProbeCache', () => {
  const info = (duration: number): MediaInfo => ({ container: 'mp4', header: [], headerBytes: 0, bitrate: null, duration });

  it('evicts the least recently used entry beyond max', async () => {
    const cache = new ProbeCache({ max: 2 });
    let probes = 0;
    const probe = (d: number) => () => {
      probes++;
      return Promise.resolve(info(d));
    };
    await cache.get('a', probe(1));
    await cache.get('b', probe(2));
    await cache.get('a', probe(1)); // a is now the most recent
    await cache.get('c', probe(3)); // evicts b
    expect(cache.size).toBe(2);
    expect(probes).toBe(3);
    await cache.get('a', probe(1));
    expect(probes).toBe(3);
    await cache.get('b', probe(2));
    expect(probes).toBe(4);
  });

  it('forgets a failed probe', async () => {
    const cache = new ProbeCache();
    await expect(cache.get('x', () => Promise.reject(new Error('EIO')))).rejects.toThrow('EIO');
    await Promise.resolve();
    expect(cache.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects max = %p', (max) => {
    expect(() => new ProbeCache({ max })).toThrow(OptionError);
  });
});

describe('probe options', () => {
  it.each([
    [{ maxHeaderBytes: -1 }, 'maxHeaderBytes'],
    [{ maxHeaderBytes: Number.NaN }, 'maxHeaderBytes'],
    [{ maxHeaderBytes: '16' }, 'maxHeaderBytes'],
    [{ kind: 'avi' }, 'kind'],
    [{ cache: {} }, 'cache'],
  ])('rejects %p naming the option', async (options, option) => {
    const file = path.join(dir, 'opt.mp4');
    fs.writeFileSync(file, mp4(1));
    await expect(probeFile(file, options as never)).rejects.toMatchObject({ code: 'ERR_BANDWIDTH_OPTION', option });
  });

  it('accepts Infinity as no bound', async () => {
    const file = path.join(dir, 'inf.mp4');
    fs.writeFileSync(file, mp4(1));
    expect((await probeFile(file, { maxHeaderBytes: Infinity, cache: false })).headerBytes).toBeGreaterThan(0);
  });
});
