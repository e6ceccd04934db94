import { Readable } from 'node:stream';

/** What `peekStream` read, and the body to send in the source's place. */
export interface Peeked {
  /** The first bytes of the source: up to `limit`, fewer when it ended, failed or stalled. */
  prefix: Buffer;
  /** Replays the prefix, then the rest of the source. Destroying it destroys the source. */
  body: Readable;
}

/**
 * Reads the start of a stream body so that a media probe can look at it, without losing a
 * byte (docs/spec.md §4: "a bounded prefix of the stream when there is no path"). Reading stops at
 * `limit` bytes, at the end of the source, on an error (which the returned body then
 * carries), or after `timeoutMs`, so a stalled upstream delays the response by at most that.
 *
 * @example
 * ```ts
 * const { prefix, body } = await peekStream(upstream, 512 * 1024, 1000);
 * const info = await probeBuffer(prefix, contentLength, { kind: 'mp4' });
 * ctx.body = body;
 * ```
 */
export function peekStream(source: Readable, limit: number, timeoutMs: number): Promise<Peeked> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      source.off('readable', onReadable);
      source.off('end', finish);
      source.off('error', finish);
      source.off('close', finish);
      const body = Readable.from(replay(chunks, source), { objectMode: false });
      // However the body ends (a client abort while the prefix is still replaying included),
      // the source goes with it, and with it any file descriptor.
      body.once('close', () => {
        if (!source.destroyed) source.destroy();
      });
      resolve({ prefix: Buffer.concat(chunks, length), body });
    };
    const onReadable = (): void => {
      let chunk: unknown;
      while (length < limit && (chunk = source.read()) !== null) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        chunks.push(buf);
        length += buf.length;
      }
      if (length >= limit) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    timer.unref();
    source.on('readable', onReadable);
    source.once('end', finish);
    source.once('error', finish);
    source.once('close', finish);
    if (source.readableEnded || source.destroyed) finish();
  });
}

async function* replay(chunks: Buffer[], source: Readable): AsyncGenerator<Buffer> {
  // Hand the prefix chunks out one by one and drop them, so they are freed as they go.
  while (chunks.length > 0) yield chunks.shift() as Buffer;
  if (source.readableEnded && source.readableLength === 0) return;
  // An errored source throws here, and the body errors with it.
  for await (const chunk of source) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
}
