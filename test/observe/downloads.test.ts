import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import send from 'koa-send';
import { bandwidth, statsEndpoints, type ResponseRecord } from '../../lib/index';
import { CHUNK_MAX } from '../../lib/meter/flow';
import { fetch, listen, series, sleep, until } from './http-client';

const MB = 1_000_000;
const config = {
  defaults: { boost: 0 },
  vhosts: [
    // No BT, no cap: the meter's fast path leaves these responses alone.
    { name: 'fast.test' },
    // 4000 kbps = 500 KB/s per response, 1600 kbps under /slow/, 40 Mbps = 5 MB/s for the vhost.
    { name: 'slow.test', options: { throttling: true, bandwidth: 4000, trafficCap: 40 }, rules: ['$URL[/slow/*], 1600', '*'] },
  ],
};

/** Bytes that may sit between a `res.write` and the client's `data` event on loopback. */
function socketBuffers(): number {
  const max = (f: string, dflt: number): number => {
    try {
      return Number(fs.readFileSync(f, 'utf8').trim().split(/\s+/)[2]);
    } catch {
      return dflt;
    }
  };
  return max('/proc/sys/net/ipv4/tcp_wmem', 4 << 20) + max('/proc/sys/net/ipv4/tcp_rmem', 6 << 20);
}

describe('stats and metrics after real downloads (koa-send, loopback HTTP)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'observe-'));
  const bw = bandwidth({ config });
  const endpoints = statsEndpoints(bw, { intervalMs: 100 });
  const records: ResponseRecord[] = [];
  bw.events.on('response', (r: ResponseRecord) => records.push(r));
  const app = new Koa();
  app.silent = true;
  app.use(endpoints);
  app.use(bw);
  app.use(async (ctx) => {
    await send(ctx, ctx.path.replace(/^\/slow\//, '/'), { root });
  });
  let port = 0;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const pattern = Buffer.alloc(MB);
    for (let i = 0; i < MB; i++) pattern[i] = i % 251;
    fs.writeFileSync(path.join(root, 'big.bin'), pattern);
    fs.writeFileSync(path.join(root, 'mid.bin'), pattern.subarray(0, 400_000));
    // 64 MB, sparse: more than any loopback socket buffers can hold.
    fs.closeSync(fs.openSync(path.join(root, 'huge.bin'), 'w'));
    fs.truncateSync(path.join(root, 'huge.bin'), 64 * MB);
    ({ port, close } = await listen(app));
  });
  afterAll(async () => {
    endpoints.close();
    await close();
    await bw.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const metrics = async (): Promise<string> => (await fetch(port, '/_bandwidth/metrics', 'any.test', { keep: true })).body.toString();
  const sent = async (vhost: string): Promise<number> => series(await metrics(), `koa_bandwidth_sent_bytes_total{vhost="${vhost}"}`) ?? NaN;

  it('counts exactly the bytes the clients received, metered or not', async () => {
    const before = { fast: await sent('fast.test'), slow: await sent('slow.test') };
    const downloads = [
      ...Array.from({ length: 4 }, () => fetch(port, '/big.bin', 'fast.test')),
      ...Array.from({ length: 3 }, () => fetch(port, '/mid.bin', 'slow.test')),
    ];
    // Mid-way, the snapshot shows the three throttled sessions at their plan's rate. Each
    // takes 0.8 s at 500 KB/s; look 0.4 s after all three have started.
    const slowActive = () => bw.stats().vhosts.find((v) => v.name === 'slow.test')!.activeSessions;
    expect(await until(() => slowActive() === 3, 10_000)).toBe(true);
    await sleep(400);
    const mid = bw.stats();
    const slow = mid.vhosts.find((v) => v.name === 'slow.test')!;
    expect(slow).toMatchObject({ cap: 5 * MB, activeSessions: 3, throttledSessions: 3 });
    // Some rate shows (a busy machine may have sent little yet), never more than 3× the plans.
    expect(slow.rate).toBeGreaterThan(0);
    expect(slow.rate).toBeLessThan(3 * 1.5 * MB);
    const sessions = mid.sessions.filter((s) => s.vhost === 'slow.test');
    expect(sessions).toHaveLength(3);
    for (const s of sessions) {
      expect(s).toMatchObject({ throttled: true, responses: 1, ip: '127.0.0.1', plan: { rate: 500_000, rule: { line: 2 } } });
      expect(s.rate).toBeGreaterThan(0);
      expect(s.rate).toBeLessThan(3 * 500_000);
    }
    const got = await Promise.all(downloads);
    for (const g of got) expect(g.status).toBe(200);
    const received = { fast: got.slice(0, 4).reduce((a, g) => a + g.bytes, 0), slow: got.slice(4).reduce((a, g) => a + g.bytes, 0) };
    expect(received).toEqual({ fast: 4 * MB, slow: 3 * 400_000 });
    await until(() => bw.stats().sessions.length === 0, 10_000);
    const counted = { fast: (await sent('fast.test')) - before.fast, slow: (await sent('slow.test')) - before.slow };
    expect(Math.abs(counted.fast - received.fast)).toBeLessThanOrEqual(0.001 * received.fast);
    expect(Math.abs(counted.slow - received.slow)).toBeLessThanOrEqual(0.001 * received.slow);
    const text = await metrics();
    expect(series(text, 'koa_bandwidth_responses_total{vhost="fast.test",throttled="false"}')).toBeGreaterThanOrEqual(4);
    expect(series(text, 'koa_bandwidth_responses_total{vhost="slow.test",throttled="true"}')).toBeGreaterThanOrEqual(3);
    expect(series(text, 'koa_bandwidth_active_sessions{vhost="slow.test"}')).toBe(0);
    expect(series(text, 'koa_bandwidth_cap_bytes_per_second{vhost="slow.test"}')).toBe(5 * MB);
    expect(series(text, 'koa_bandwidth_cap_bytes_per_second{vhost="fast.test"}')).toBe(0);
  });

  it('counts an aborted throttled download up to what was written, a few writes past what arrived', async () => {
    const before = await sent('slow.test');
    records.length = 0;
    const got = await fetch(port, '/slow/big.bin', 'slow.test', { abortAfter: 100_000 });
    expect(got.aborted).toBe(true);
    expect(await until(() => records.length > 0, 10_000)).toBe(true);
    const counted = (await sent('slow.test')) - before;
    expect(records[0]).toMatchObject({ vhost: 'slow.test', aborted: true, bytes: counted, plan: { throttle: true, bandwidthKbps: 1600 } });
    // The client read every byte as it came, so what was written and not received is what the
    // server wrote between the client's last read and its noticing the close: at 200 KB/s,
    // writes of at most CHUNK_MAX, for well under half a second.
    expect(counted).toBeGreaterThanOrEqual(got.bytes);
    expect(counted - got.bytes).toBeLessThanOrEqual(2 * CHUNK_MAX + 0.5 * 200_000);
  });

  it('counts an aborted unmetered download up to what was written, never the whole file', async () => {
    const before = await sent('fast.test');
    records.length = 0;
    const got = await fetch(port, '/huge.bin', 'fast.test', { abortAfter: MB });
    expect(await until(() => records.length > 0, 10_000)).toBe(true);
    const counted = (await sent('fast.test')) - before;
    expect(records[0]).toMatchObject({ vhost: 'fast.test', aborted: true, bytes: counted, plan: { throttle: false } });
    // Unthrottled, the server writes as fast as the kernel takes it: what was written and not
    // received is bounded by the socket buffers on both ends plus one chunk in Node's stream.
    expect(counted).toBeGreaterThanOrEqual(got.bytes);
    expect(counted - got.bytes).toBeLessThanOrEqual(socketBuffers() + 2 * 65_536);
    expect(counted).toBeLessThan(64 * MB);
    expect(bw.stats().sessions).toHaveLength(0);
  });

  it('serves the snapshot as JSON', async () => {
    const r = await fetch(port, '/_bandwidth/stats', 'any.test', { keep: true });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    expect(r.headers['cache-control']).toBe('no-store');
    const snap = JSON.parse(r.body.toString());
    expect(snap.vhosts.map((v: { name: string }) => v.name)).toEqual(['fast.test', 'slow.test', '_unmatched']);
    expect(snap.vhosts[0].bytesSent).toBeGreaterThan(4 * MB);
  });

  it('streams snapshots as server-sent events, and stops when the client goes', async () => {
    const events: string[] = [];
    const started = Date.now();
    const stream = new Promise<void>((resolve) => {
      let buf = '';
      const req = http.get({ host: '127.0.0.1', port, path: '/_bandwidth/events', agent: false }, (res) => {
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = frame.split('\n').find((l) => l.startsWith('data: '));
            if (data) events.push(data.slice(6));
          }
          if (Date.now() - started >= 1000) req.destroy();
        });
        res.on('close', resolve);
      });
      req.on('error', () => resolve());
    });
    expect(await until(() => endpoints.clients === 1, 10_000)).toBe(true);
    await stream;
    // One at once, then one every 100 ms for about a second.
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.length).toBeLessThanOrEqual(16);
    expect(JSON.parse(events[0]!).vhosts).toHaveLength(3);
    expect(await until(() => endpoints.clients === 0, 10_000)).toBe(true);
  });

  it('passes other paths and methods on', async () => {
    expect((await fetch(port, '/_bandwidth/nope', 'fast.test')).status).toBe(404);
    expect((await fetch(port, '/_bandwidthstats', 'fast.test')).status).toBe(404);
  });
});
