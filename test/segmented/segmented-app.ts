import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import { bandwidth, type BandwidthOptions } from '../../lib/index';
import type { ResponseRecord } from '../../lib/observe/response-record';

/**
 * A Koa app with `bandwidth()` in front of a directory: a file stream for each file, or the
 * file as a Buffer with `?body=buffer` (a playlist made in memory, as a packager would).
 */
export async function segmentedApp(dir: string, rules: string, options: Partial<BandwidthOptions> & { viewer?: { param?: string; cookie?: string }; sessionKbps?: number } = {}) {
  const { viewer, sessionKbps, ...rest } = options;
  const bw = bandwidth({
    config: { defaults: { throttling: true, sessionCap: sessionKbps ?? 0, ...(viewer ? { viewer } : {}) }, vhosts: [{ name: 'v', rules }], default: 'v' },
    ...rest,
  });
  const records: ResponseRecord[] = [];
  bw.events.on('response', (r: ResponseRecord) => records.push(r));
  const app = new Koa();
  app.use(bw);
  app.use(async (ctx) => {
    const file = path.join(dir, path.normalize(ctx.path).replace(/^(\.\.[/\\])+/, ''));
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return;
    ctx.length = fs.statSync(file).size;
    ctx.body = ctx.query.body === 'buffer' ? fs.readFileSync(file) : fs.createReadStream(file);
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    bw,
    records,
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await bw.close();
    },
  };
}
