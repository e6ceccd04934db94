import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { segmentedApp } from '../segmented/segmented-app';

/**
 * A HEAD for a progressive `.mp4` (one no playlist lists) joined the client's viewer session
 * (`v:<ip>`) instead of its connection's, so a player's HEAD and its GETs on one keep-alive
 * connection showed as two sessions. An `.mp4` is segmented only when a playlist lists it.
 */
describe('regression: a HEAD for a progressive .mp4 is on the connection session', () => {
  it('gives the HEAD and the GET on one connection one session', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-head-'));
    fs.writeFileSync(path.join(dir, 'movie.mp4'), Buffer.alloc(5000, 1));
    const s = await segmentedApp(dir, '*.mp4, 800, 100, 0');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const req = (method: string): Promise<void> =>
      new Promise((resolve, reject) => {
        http.request(`${s.base}/movie.mp4`, { method, agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject).end();
      });
    try {
      await req('HEAD');
      await req('GET');
      const deadline = Date.now() + 2000;
      while (s.records.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(s.records.map((r) => r.method)).toEqual(['HEAD', 'GET']);
      expect(s.records[0]?.session).toMatch(/^c\d+$/);
      expect(s.records[1]?.session).toBe(s.records[0]?.session);
    } finally {
      agent.destroy();
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
