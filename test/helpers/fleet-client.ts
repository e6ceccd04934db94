import http from 'node:http';

/** One download as its client saw it. */
export interface Download {
  /** Which server (index into the ports given to {@link startDownloads}). */
  readonly server: number;
  /** `[epoch ms, bytes]` per chunk received. */
  readonly chunks: Array<[number, number]>;
  /** Set when the response ended or failed before it was aborted. */
  ended: string | null;
}

export const now = (): number => performance.timeOrigin + performance.now();

/**
 * Start `counts[i]` downloads of `path` from `127.0.0.1:ports[i]`, each on its own connection
 * (one session each), interleaved across the servers so that none gets a head start.
 */
export function startDownloads(ports: number[], counts: number[], path: string): { downloads: Download[]; abort(): void } {
  const downloads: Download[] = [];
  const requests: http.ClientRequest[] = [];
  const left = [...counts];
  while (left.some((n) => n > 0)) {
    for (let i = 0; i < ports.length; i++) {
      if ((left[i] ?? 0) <= 0) continue;
      left[i] = (left[i] ?? 0) - 1;
      const d: Download = { server: i, chunks: [], ended: null };
      downloads.push(d);
      const req = http.get({ host: '127.0.0.1', port: ports[i], path, agent: false }, (res) => {
        if (res.statusCode !== 200) d.ended = `status ${res.statusCode}`;
        res.on('data', (chunk: Buffer) => d.chunks.push([now(), chunk.length]));
        res.on('end', () => (d.ended ??= 'ended'));
        res.on('error', () => {});
      });
      req.on('error', (err) => (d.ended ??= err.message));
      requests.push(req);
    }
  }
  return {
    downloads,
    abort: () => {
      for (const r of requests) r.destroy();
    },
  };
}
