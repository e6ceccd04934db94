import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createExampleApp } from './app';
import type { ExampleApp, ExampleAppOptions } from './app';

export interface ExampleServerOptions extends ExampleAppOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where request errors go (client aborts excluded). Default: stderr. */
  onError?: (err: Error) => void;
}

export interface ExampleServer {
  /** `http://host:port/` it listens on. */
  url: string;
  port: number;
  server: http.Server;
  example: ExampleApp;
  /** Stop listening, drop open connections (players, event streams), stop the middleware. */
  close(): Promise<void>;
}

/** Start the example media server; resolves once it listens. */
export async function startExampleServer(opts: ExampleServerOptions): Promise<ExampleServer> {
  const host = opts.host ?? '127.0.0.1';
  const onError = opts.onError ?? ((err: Error) => process.stderr.write(`example-app: ${err.stack ?? err.message}\n`));
  const example = createExampleApp({ onConfigError: onError, ...opts });
  example.app.silent = true;
  example.app.on('error', (err: Error & { code?: string; status?: number }) => {
    // A player that seeks or closes drops its connection mid-response: that is normal.
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
    if (err.status !== undefined && err.status < 500) return;
    onError(err);
  });

  const server = http.createServer(example.app.callback());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 8080, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await example.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}/`,
    port,
    server,
    example,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await example.close();
      })();
      return closing;
    },
  };
}

// `node dist/example-app/server.js`: the bundled config and media on PORT or 8080.
if (require.main === module) {
  const root = path.join(__dirname, '..', '..');
  startExampleServer({
    conf: path.join(root, 'example-app', 'conf'),
    media: path.join(root, 'example-app', 'media'),
    port: Number(process.env.PORT ?? 8080),
  }).then(
    (s) => {
      process.stdout.write(`koa-bandwidth example listening on ${s.url}\n`);
      const stop = (): void => void s.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: Error) => {
      process.stderr.write(`example-app: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
