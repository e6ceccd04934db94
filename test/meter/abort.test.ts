import fs from 'node:fs';
import http from 'node:http';
import { until } from '../observe/http-client';
import { listen, mediaDir, meteredApp } from './http-app';

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;


describe('client abort', () => {
  it('200 downloads aborted mid-stream leave no fd, no session and no timer behind', async () => {
    const dir = mediaDir();
    const { app, engine } = meteredApp(dir);
    const server = http.createServer(app.callback());
    const port = await listen(server);
    const before = fdCount();
    let midway = 0;
    await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const kind = i % 2 ? 'file?rate=20000&boost=5000' : 'file?vcap=2000000';
            const req = http.get({ host: '127.0.0.1', port, path: `/${kind}`, agent: false }, (res) => {
              let got = 0;
              res.on('data', (c: Buffer) => {
                got += c.length;
                if (got > 3000 && !req.destroyed) {
                  midway++;
                  req.destroy();
                }
              });
              res.on('close', resolve);
            });
            req.on('error', () => resolve());
          }),
      ),
    );
    expect(midway).toBe(200);
    await until(() => engine.activeSessions === 0 && engine.pendingTimers === 0 && engine.openFiles === 0 && fdCount() <= before, 10_000);
    expect(engine.activeSessions).toBe(0);
    expect(engine.pendingTimers).toBe(0);
    expect(engine.openFiles).toBe(0);
    expect(fdCount()).toBeLessThanOrEqual(before);
    await engine.close();
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
