import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

/** Listens on a free port of 127.0.0.1. */
export async function listen(app: Koa): Promise<{ server: http.Server; port: number; close: () => Promise<void> }> {
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Fetched {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Body bytes the client received. */
  bytes: number;
  body: Buffer;
  /** The client destroyed the request after `abortAfter` bytes. */
  aborted: boolean;
}

/**
 * One GET on its own connection (so one session each), counting the body bytes received.
 * `abortAfter`: destroy the connection once that many bytes have arrived.
 */
export function fetch(port: number, path: string, host: string, opts: { headers?: Record<string, string>; abortAfter?: number; keep?: boolean; agent?: http.Agent } = {}): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    let aborted = false;
    const req = http.get({ host: '127.0.0.1', port, path, agent: opts.agent ?? false, headers: { host, ...opts.headers } }, (res) => {
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (opts.keep) chunks.push(c);
        if (opts.abortAfter !== undefined && bytes >= opts.abortAfter && !aborted) {
          aborted = true;
          req.destroy();
        }
      });
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, body: Buffer.concat(chunks), aborted });
      res.on('end', done);
      res.on('close', done);
      res.on('error', () => {});
    });
    req.on('error', (err) => (aborted ? undefined : reject(err)));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` holds or `ms` pass; resolves with whether it held. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(10);
  return cond();
}

/** Like `until`, but a timeout is an error. */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  if (!(await until(cond, ms))) throw new Error('timed out waiting');
}

/** The value of one series in Prometheus text, or undefined. */
export function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : undefined;
}

/** How many series (sample lines) the text holds. */
export function seriesCount(text: string): number {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
}
