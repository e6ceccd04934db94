import type { Context } from 'koa';

/**
 * The request body as text, at most `limit` bytes kept. Past the limit the rest is drained
 * (not kept) and the answer is a 413, so a hostile client costs a bounded buffer; the
 * socket stays usable for the error response.
 */
export async function readBody(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('Content-Length'));
  if (declared > limit) ctx.throw(413, `request body larger than ${limit} bytes`);
  const req = ctx.req;
  const result = await new Promise<Buffer | 'too-large' | 'failed'>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    };
    const done = (value: Buffer | 'too-large' | 'failed'): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      resolve(value);
    };
    const onEnd = (): void => done(size > limit ? 'too-large' : Buffer.concat(chunks));
    const onError = (): void => done('failed');
    const onClose = (): void => done(req.complete ? (size > limit ? 'too-large' : Buffer.concat(chunks)) : 'failed');
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
  if (result === 'too-large') ctx.throw(413, `request body larger than ${limit} bytes`);
  if (result === 'failed') ctx.throw(400, 'request body could not be read');
  return result.toString('utf8');
}
