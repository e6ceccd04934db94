import { PassThrough, Readable } from 'node:stream';
import { peekStream } from '../../lib/media/peek-stream';

async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
const chunked = (buf: Buffer, size: number): Readable => {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
};

describe('peekStream', () => {
  it.each([
    ['a limit inside the stream', 1000, 300],
    ['a limit on a chunk boundary', 3000, 1000],
    ['a limit past the end', 50_000, 999],
  ])('reads a prefix and replays every byte, with %s', async (_name, limit, chunk) => {
    const { prefix, body } = await peekStream(chunked(data, chunk), limit, 1000);
    expect(prefix.length).toBeGreaterThanOrEqual(Math.min(limit, data.length));
    expect(prefix.length).toBeLessThan(Math.min(limit, data.length) + chunk);
    expect(prefix.equals(data.subarray(0, prefix.length))).toBe(true);
    expect((await collect(body)).equals(data)).toBe(true);
  });

  it('stops waiting for a stalled source after the timeout, and still loses nothing', async () => {
    const src = new PassThrough();
    src.write(data.subarray(0, 100));
    const t0 = Date.now();
    const { prefix, body } = await peekStream(src, 1000, 150);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(1000);
    expect(prefix.length).toBe(100);
    src.end(data.subarray(100));
    expect((await collect(body)).equals(data)).toBe(true);
  });

  it('passes a source error on to the body', async () => {
    const src = new PassThrough();
    src.write(data.subarray(0, 100));
    const peeked = peekStream(src, 50, 1000);
    const { body } = await peeked;
    setImmediate(() => src.destroy(new Error('upstream broke')));
    await expect(collect(body)).rejects.toThrow('upstream broke');
  });

  it('destroys the source when the body is destroyed', async () => {
    const src = new PassThrough();
    src.write(data.subarray(0, 2000));
    const { body } = await peekStream(src, 1000, 1000);
    body.read(); // start the replay
    await new Promise((r) => setImmediate(r));
    body.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(src.destroyed).toBe(true);
  });
});
