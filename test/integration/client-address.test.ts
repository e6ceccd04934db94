import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { bandwidth, type BandwidthMiddleware } from '../../lib/index';
import type { ResponseRecord } from '../../lib/observe/response-record';
import { describeWithLoopback } from '../helpers/system';
import { download, logFigure, rateOver } from './rate-client';

/**
 * The server listens on 127.0.0.1; a connection from 127.0.0.2 stands for the trusted
 * reverse proxy, one from 127.0.0.1 for a client that reaches the server directly.
 */
const PROXY = '127.0.0.2';
const BODY = Buffer.alloc(16 * 1024 * 1024, 5);

const SERVER_XML = `<Server>
  <TrustedProxies>
    <Proxy>${PROXY}</Proxy>
  </TrustedProxies>
  <VHostDefault>
    <Options>
      <SessionKey>ip</SessionKey>
      <TrafficCap Session="4000">0</TrafficCap>
      <BandwidthThrottling>
        <Settings><Boost>0</Boost></Settings>
        <Throttling>ON</Throttling>
      </BandwidthThrottling>
    </Options>
  </VHostDefault>
</Server>
`;
const VHOSTS_XML = `<Vhosts>
  <Vhost Name="edge.test"/>
  <Default>edge.test</Default>
</Vhosts>
`;

function getJson(port: number, p: string, opts: { headers?: Record<string, string>; localAddress?: string }): Promise<{ ip: string; rule: number | null }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent: false, headers: { host: 'edge.test', ...opts.headers }, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve(JSON.parse(data)));
      })
      .on('error', reject);
  });
}

describeWithLoopback(PROXY, 'client addresses behind trusted proxies, through a real server', () => {
  let dir: string;
  let bw: BandwidthMiddleware;
  let server: http.Server;
  let port = 0;
  const records: ResponseRecord[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbw-client-'));
    writeFileSync(path.join(dir, 'server.xml'), SERVER_XML);
    writeFileSync(path.join(dir, 'vhosts.xml'), VHOSTS_XML);
    mkdirSync(path.join(dir, 'svc', 'edge.test'), { recursive: true });
    writeFileSync(path.join(dir, 'svc', 'edge.test', 'throttling.txt'), '$IP[192.168.1.1] & $URL[/who], 100\n$URL[/films/*], 8000\n');
    bw = bandwidth({ conf: dir, watch: false });
    bw.events.on('response', (r: ResponseRecord) => records.push(r));
    const app = new Koa();
    app.silent = true;
    app.proxy = true; // Koa's own ctx.ip believes X-Forwarded-For; the rules must not
    app.use(bw);
    app.use((ctx) => {
      if (ctx.path === '/who') ctx.body = { ip: ctx.bandwidth?.clientIp, rule: ctx.bandwidth?.plan.rule?.line ?? null };
      else ctx.body = BODY;
    });
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await bw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['a client behind the trusted proxy matches $IP by its own address', { localAddress: PROXY, headers: { 'X-Forwarded-For': '192.168.1.1' } }, '192.168.1.1', 1],
    ['a client reaching the server directly cannot spoof X-Forwarded-For', { headers: { 'X-Forwarded-For': '192.168.1.1' } }, '127.0.0.1', null],
    ['a spoofed entry left of the proxy-appended one is not believed', { localAddress: PROXY, headers: { 'X-Forwarded-For': '192.168.1.1, 198.51.100.9' } }, '198.51.100.9', null],
    ['a trusted proxy without the header: the proxy is the client', { localAddress: PROXY }, PROXY, null],
    ['a garbage header never fails the request', { localAddress: PROXY, headers: { 'X-Forwarded-For': ',,[::zz, %%%' } }, PROXY, null],
  ])('%s', async (_name, opts, ip, rule) => {
    const got = await getJson(port, '/who', opts);
    expect(got).toEqual({ ip, rule });
  });

  it('records and stats carry the client address, not the proxy', async () => {
    records.length = 0;
    await getJson(port, '/who', { localAddress: PROXY, headers: { 'X-Forwarded-For': '203.0.113.50' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(records.at(-1)).toMatchObject({ ip: '203.0.113.50', session: 'ip:203.0.113.50' });
  });

  it('holds one Session cap across 4 parallel connections of one client (SessionKey ip)', async () => {
    const cap = (4000 * 1000) / 8; // 500,000 B/s
    const mine = Array.from({ length: 4 }, () => download(port, '/films/a.bin', 'edge.test', { localAddress: PROXY, headers: { 'X-Forwarded-For': '203.0.113.7' } }));
    const other = download(port, '/films/a.bin', 'edge.test', { localAddress: PROXY, headers: { 'X-Forwarded-For': '203.0.113.8' } });
    await new Promise((r) => setTimeout(r, 1000));
    const sessions = bw.stats().sessions.filter((s) => s.vhost === 'edge.test');
    expect(sessions.find((s) => s.id === 'ip:203.0.113.7')?.responses).toBe(4);
    const [together, alone] = await Promise.all([rateOver(mine, 5000), rateOver([other], 5000)]);
    for (const d of [...mine, other]) d.stop();
    logFigure('Session cap 4000 kbps over 4 connections of one client IP', together, cap);
    // Target ±3 % (see KB_E2E_LOG); bounds a busy machine cannot cross.
    expect(together).toBeGreaterThan(cap * 0.8);
    expect(together).toBeLessThan(cap * 1.1);
    // Another client is its own session, with its own cap (its BT rate is 8000 kbps = 1 MB/s, above the cap).
    expect(alone).toBeGreaterThan(cap * 0.8);
    expect(alone).toBeLessThan(cap * 1.1);
  }, 20_000);
});
