import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { BYTES_PER_VIEWER } from '../../lib/segmented/viewer-table';
import { segmentedApp } from './segmented-app';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
function heap(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * 10,000 distinct viewers through the middleware: each one's boost state is remembered, the
 * heap grows by a bounded amount (docs/segmented.md: about BYTES_PER_VIEWER each), and it
 * returns once they have been idle for `segmented.idleSeconds`.
 */
describe('10,000 viewers', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-viewers-'));
    fs.mkdirSync(path.join(dir, 'v'));
    fs.writeFileSync(path.join(dir, 'v', 'index.m3u8'), '#EXTM3U\n#EXTINF:2.0,\ns0.ts\n#EXTINF:2.0,\ns1.ts\n');
    fs.writeFileSync(path.join(dir, 'v', 's0.ts'), Buffer.alloc(188, 0x47));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds a bounded amount of heap per viewer, freed after the idle time', async () => {
    let offset = 0;
    const s = await segmentedApp(dir, '$URL[/v/*], x, 150, 4', { viewer: { param: 'token' }, segmented: { idleSeconds: 30 }, clock: () => performance.now() + offset });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const get = (i: number): Promise<void> =>
      new Promise((resolve, reject) => {
        http.get(`${s.base}/v/s0.ts?token=viewer-${i.toString(36).padStart(8, '0')}-${'x'.repeat(24)}`, { agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
      });
    try {
      const viewers = s.bw.runtime.segmented!.viewers;
      s.bw.events.removeAllListeners('response'); // the app keeps every record: not what is measured here
      const N = 10_000;
      const round = async (from: number): Promise<void> => {
        for (let i = 0; i < N; i += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => get(from + i + k)));
      };
      // A first round warms up what any server grows once (compiled code, pools, caches).
      await round(1e6);
      offset += 31_000;
      viewers.sweep();
      const before = heap();
      await round(0);
      expect(viewers.size).toBe(N);
      const full = heap();
      offset += 31_000;
      viewers.sweep();
      expect(viewers.size).toBe(0);
      const empty = heap();
      // What forgetting them frees, measured across the sweep alone: other tests in the same
      // worker may free their own memory while the round runs, so `full - before` is only shown.
      const freed = full - empty;
      process.stdout.write(`segmented: 10,000 viewers: heap +${((full - before) / 1e6).toFixed(2)} MB over the round, ${(freed / 1e6).toFixed(2)} MB (${Math.round(freed / N)} B each) freed after the idle time, ${((empty - before) / 1e6).toFixed(2)} MB left\n`);
      expect(freed).toBeGreaterThan(N * 100);
      expect(freed).toBeLessThan(N * BYTES_PER_VIEWER * 3);
    } finally {
      agent.destroy();
      await s.close();
    }
  }, 60_000);
});
