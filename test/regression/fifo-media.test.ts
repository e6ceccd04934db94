/**
 * Regression: a FIFO named *.mp4 or *.mp3 in the media directory. Opening a FIFO for reading
 * waits for a writer on a thread-pool thread: four requests for it took every thread, after
 * which every file request of the process hung, and `koa-bandwidth probe fifo.mp3` hung too.
 * Only regular files are opened, probed or metered.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createExampleApp, type ExampleApp } from '../../example-app/app';
import { probeFile } from '../../lib/media/probe-file';
import { FilePool } from '../../lib/meter/file-pool';
import { run } from '../cli/cli';

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const FIFOS = ['fifo.mp4', 'fifo.mp3'];

/** Status and milliseconds of one GET to 127.0.0.1 (the example's `localhost` vhost). */
function timedGet(port: number, p: string): Promise<{ status: number; bytes: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - t0 }));
      })
      .on('error', reject);
  });
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fifo-media-'));
  for (const f of FIFOS) execFileSync('mkfifo', [path.join(dir, f)]);
  fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'media', 'cbr.mp3'), path.join(dir, 'normal.mp3'));
});
afterAll(() => {
  // Should an open be stuck on a FIFO after all (the bug), a writer lets it go, so one
  // failing test does not wedge the thread pool of the whole worker.
  for (const f of FIFOS) {
    try {
      fs.closeSync(fs.openSync(path.join(dir, f), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // no reader waiting: nothing stuck
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a FIFO named like media', () => {
  it.each(FIFOS)('probeFile refuses %s at once (ENOTREG), opening nothing', async (name) => {
    const before = fdCount();
    await expect(probeFile(path.join(dir, name), { cache: false })).rejects.toMatchObject({ code: 'ENOTREG' });
    expect(fdCount()).toBeLessThanOrEqual(before);
  });

  it('the meter\'s file pool refuses it, and keeps no descriptor', async () => {
    const pool = new FilePool();
    const before = fdCount();
    await expect(pool.acquire(path.join(dir, 'fifo.mp4'))).rejects.toMatchObject({ code: 'ENOTREG' });
    expect(pool.size).toBe(0);
    expect(fdCount()).toBeLessThanOrEqual(before);
  });

  it('`koa-bandwidth probe` exits 1 with an error line', async () => {
    const r = await run(['probe', path.join(dir, 'fifo.mp3')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fifo\.mp3: not a regular file/);
    expect(r.stdout).toBe('');
  });

  describe('in the example server', () => {
    let example: ExampleApp;
    let server: http.Server;
    let port: number;
    beforeAll(async () => {
      example = createExampleApp({ conf: path.join(__dirname, '..', '..', 'example-app', 'conf'), media: dir, onConfigError: () => {} });
      example.app.silent = true;
      server = http.createServer(example.app.callback());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await example.close();
    });

    it('answers six requests for FIFOs with 404, then a normal file at once', async () => {
      // More requests than the thread pool has threads (4), on both kinds and on the `x` route.
      const paths = ['/fifo.mp4', '/fifo.mp3', '/vod/fifo.mp4', '/vod/fifo.mp3', '/download/fifo.mp4', '/fifo.mp3'];
      const replies = await Promise.all(paths.map((p) => timedGet(port, p)));
      for (const r of replies) {
        expect(r.status).toBe(404);
        expect(r.ms).toBeLessThan(5000);
      }
      // The figure is < 1 s; 5 s only tells "answered" from "hung" on a busy machine.
      const normal = await timedGet(port, '/normal.mp3');
      expect(normal.status).toBe(200);
      expect(normal.bytes).toBe(fs.statSync(path.join(dir, 'normal.mp3')).size);
      expect(normal.ms).toBeLessThan(5000);
    }, 20_000);
  });
});
