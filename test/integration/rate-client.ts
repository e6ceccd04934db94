import http from 'node:http';

/** A download in progress: bytes so far, and a way to stop it. */
export interface Download {
  readonly bytes: number;
  /** performance.now() of the first body bytes and of the end; NaN until then. */
  readonly firstAt: number;
  readonly firstBytes: number;
  readonly endAt: number;
  readonly headers: Promise<http.IncomingHttpHeaders>;
  readonly done: Promise<number>;
  stop(): void;
}

/**
 * One GET on its own connection, counting body bytes as they arrive, so a test can read the
 * rate over any window. `localAddress` picks the loopback address the connection comes from
 * (127.0.0.2 stands for another machine).
 */
export function download(port: number, path: string, host: string, opts: { headers?: Record<string, string>; localAddress?: string } = {}): Download {
  let bytes = 0;
  let firstAt = NaN;
  let firstBytes = 0;
  let endAt = NaN;
  let resolveHeaders!: (h: http.IncomingHttpHeaders) => void;
  const headers = new Promise<http.IncomingHttpHeaders>((r) => (resolveHeaders = r));
  let req!: http.ClientRequest;
  const done = new Promise<number>((resolve) => {
    req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { host, ...opts.headers }, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, (res) => {
      resolveHeaders(res.headers);
      res.on('data', (c: Buffer) => {
        if (bytes === 0) {
          firstAt = performance.now();
          firstBytes = c.length;
        }
        bytes += c.length;
      });
      res.on('close', () => {
        endAt = performance.now();
        resolve(bytes);
      });
      res.on('error', () => {});
    });
    req.on('error', () => resolve(bytes));
  });
  return {
    get bytes() {
      return bytes;
    },
    get firstAt() {
      return firstAt;
    },
    get firstBytes() {
      return firstBytes;
    },
    get endAt() {
      return endAt;
    },
    headers,
    done,
    stop: () => req.destroy(),
  };
}

/** Bytes/s the downloads received together over the next `ms`. */
export async function rateOver(downloads: readonly Download[], ms: number): Promise<number> {
  const sum = (): number => downloads.reduce((n, d) => n + d.bytes, 0);
  const a = sum();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((sum() - a) * 1000) / (performance.now() - t0);
}

/**
 * Bytes/s of a whole download, from its first bytes to its end: the bytes after the first
 * chunk over the time they took. Free of the write-size quantisation a short window has.
 */
export function wholeRate(d: Download): number {
  return ((d.bytes - d.firstBytes) * 1000) / (d.endAt - d.firstAt);
}

/** Prints a measured figure with KB_E2E_LOG set (the targets live in the report, the bounds in the tests). */
export function logFigure(name: string, measured: number, target: number): void {
  if (process.env.KB_E2E_LOG) console.log(`${name}: ${Math.round(measured)} B/s, ${(((measured - target) / target) * 100).toFixed(2)} % from ${target}`);
}
