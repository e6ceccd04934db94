import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { StatsSnapshot } from 'koa-bandwidth';
import { statsRoutes } from '../../example-app/stats-routes';

describe('statsRoutes', () => {
  let calls = 0;
  let server: http.Server;
  let port: number;
  const snapshot = (): StatsSnapshot => {
    calls += 1;
    return {
      time: 1_700_000_000_000 + calls,
      vhosts: [{ name: 'localhost', cap: 500_000, rate: 1000 * calls, bytesSent: 42, activeSessions: 1, throttledSessions: 1 }],
      sessions: [],
    };
  };

  beforeAll(async () => {
    const app = new Koa();
    app.silent = true; // the client leaving an event stream is a premature close, and normal
    app.use(statsRoutes({ stats: snapshot, intervalMs: 100 }).routes());
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('answers GET /_bandwidth/stats with one JSON snapshot', async () => {
    const before = calls;
    const res = await fetch(`http://127.0.0.1:${port}/_bandwidth/stats`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as StatsSnapshot;
    expect(calls).toBe(before + 1);
    expect(body.time).toBe(1_700_000_000_000 + calls);
    expect(body.vhosts[0]!.rate).toBe(1000 * calls);
  });

  it('streams a stats event per interval on /_bandwidth/events, and stops when the client leaves', async () => {
    const events: Array<{ at: number; data: StatsSnapshot }> = [];
    const started = Date.now();
    const req = http.get({ host: '127.0.0.1', port, path: '/_bandwidth/events', agent: false });
    const res = await new Promise<http.IncomingMessage>((r) => req.once('response', r));
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    let buffered = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const lines = block.split('\n');
        if (lines.includes('event: stats')) {
          const data = lines.find((l) => l.startsWith('data: '))!.slice(6);
          events.push({ at: Date.now() - started, data: JSON.parse(data) as StatsSnapshot });
        }
      }
    });
    await new Promise((r) => setTimeout(r, 650));
    req.destroy();
    // One at once, then one per 100 ms: about 7 in 650 ms, allowing for a slow machine.
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.length).toBeLessThanOrEqual(8);
    expect(events[0]!.at).toBeLessThan(300);
    const times = events.map((e) => e.data.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(times).size).toBe(times.length);

    await new Promise((r) => setTimeout(r, 50));
    const after = calls;
    await new Promise((r) => setTimeout(r, 350));
    expect(calls).toBe(after);
  });
});
