import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveCommand } from '../../lib/cli/serve';
import { freePort } from '../helpers/system';

const ROOT = path.join(__dirname, '..', '..');

export interface HlsServer {
  base: string;
  media: string;
  stop(): Promise<void>;
}

/**
 * A real `koa-bandwidth serve` on loopback with one vhost, the rule `$URL[/hls/*], x, 150, 4`,
 * and the segmented fixtures under /hls/: `ladder/` (the example's 3-rendition TS ladder),
 * `fmp4/` (EXT-X-MAP) and `dash/` (SegmentTemplate).
 */
export async function startHlsServer(opts: { sessionKbps?: number; rule?: string; viewer?: string } = {}): Promise<HlsServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-hls-'));
  const conf = path.join(dir, 'conf');
  const media = path.join(dir, 'media');
  fs.mkdirSync(path.join(conf, 'svc', 'localhost'), { recursive: true });
  fs.writeFileSync(
    path.join(conf, 'server.xml'),
    `<Server><VHostDefault><Options>
      <TrafficCap Session="${opts.sessionKbps ?? 0}">0</TrafficCap>
      ${opts.viewer ?? ''}
      <BandwidthThrottling>
        <Settings><Bandwidth Unit="kbps">1000</Bandwidth><Ratio>100</Ratio><Boost>5</Boost></Settings>
        <Throttling>ON</Throttling>
      </BandwidthThrottling>
    </Options></VHostDefault></Server>`,
  );
  fs.writeFileSync(path.join(conf, 'vhosts.xml'), '<Vhosts><Vhost Name="localhost"><Alias>127.0.0.1</Alias></Vhost><Default>localhost</Default></Vhosts>');
  fs.writeFileSync(path.join(conf, 'svc', 'localhost', 'throttling.txt'), `${opts.rule ?? '$URL[/hls/*], x, 150, 4'}\n`);
  fs.cpSync(path.join(ROOT, 'example-app', 'media', 'hls'), path.join(media, 'hls', 'ladder'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'segmented', 'fmp4'), path.join(media, 'hls', 'fmp4'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'segmented', 'dash'), path.join(media, 'hls', 'dash'), { recursive: true });

  const port = await freePort();
  const ac = new AbortController();
  let out = '';
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) }, signal: ac.signal };
  const running = serveCommand(['--conf', conf, '--media', media, '--port', String(port), '--host', '127.0.0.1'], io);
  const t0 = Date.now();
  while (!out.includes('listening')) {
    if (Date.now() - t0 > 10_000) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    base: `http://127.0.0.1:${port}`,
    media,
    async stop() {
      ac.abort();
      await running;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GET `url`, read the whole body, and say how long it took (ms) and how many bytes came. */
export async function timedGet(url: string, headers: Record<string, string> = {}): Promise<{ ms: number; bytes: number; status: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  const body = await res.arrayBuffer();
  return { ms: performance.now() - t0, bytes: body.byteLength, status: res.status };
}

/** The CMCD query parameter for session id `sid` (CTA-5004). */
export const cmcd = (sid: string): string => `CMCD=${encodeURIComponent(`sid="${sid}"`)}`;
