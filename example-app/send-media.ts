import fs from 'node:fs';
import type { Context } from 'koa';
import send from 'koa-send';
import { decideRange } from './byte-range';

/**
 * Serve `path` (still URL-encoded, relative to `root`) with koa-send, then answer the
 * `Range` header: 206 with `Content-Range`, 416 with `Content-Range: bytes *\/size`, or the
 * whole file with 200. The body is always an `fs.ReadStream` with `.path`, `.start` and
 * `.end`, so the bandwidth meter and the media probe know which file bytes it carries.
 *
 * Bad paths end as 400 or 404, never as a 500: koa-send's `resolve-path` rejects NUL bytes,
 * undecodable escapes and anything that leaves `root`; hidden files, directories and
 * anything else that is not a regular file (a FIFO, a device) are not served.
 *
 * @returns whether a file was found and answered.
 */
export async function sendMedia(ctx: Context, root: string, path: string): Promise<boolean> {
  let served: string | undefined;
  try {
    served = path === '' ? undefined : await send(ctx, path, {
      root,
      hidden: false,
      format: false,
      // A precompressed variant would make byte ranges ambiguous; media do not compress.
      gzip: false,
      brotli: false,
      // koa-send opens whatever it stat'ed: a FIFO named *.mp4 would wait for a writer on a
      // thread-pool thread, and a few such requests would wedge every file request. Called
      // before the open, so anything but a regular file is refused here.
      setHeaders: (res, _path, stats) => {
        if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { status: 404 });
        res.setHeader('Accept-Ranges', 'bytes');
      },
    });
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 400 || status === 403 || status === 404) {
      // 403 would tell a prober that the path exists outside the root.
      ctx.status = status === 403 ? 404 : status;
      return false;
    }
    throw err;
  }
  if (served === undefined || !(ctx.body instanceof fs.ReadStream)) {
    ctx.status = 404;
    return false;
  }

  const size = Number(ctx.response.get('Content-Length'));
  const decision = decideRange({
    range: ctx.get('Range') || undefined,
    ifRange: ctx.get('If-Range') || undefined,
    size,
    lastModified: ctx.response.get('Last-Modified') || undefined,
  });
  if (decision.kind === 'full') return true;

  if (decision.kind === 'unsatisfiable') {
    ctx.status = 416;
    ctx.set('Content-Range', `bytes */${size}`);
    ctx.remove('Content-Type');
    ctx.body = 'Range Not Satisfiable\n'; // Koa destroys the replaced file stream
    return true;
  }
  // koa-send opened the whole file; swap in a stream of just the range.
  ctx.body.destroy();
  ctx.status = 206;
  ctx.body = fs.createReadStream(served, { start: decision.first, end: decision.last });
  // Koa drops Content-Length when a stream body is replaced: set it after the swap.
  ctx.length = decision.last - decision.first + 1;
  ctx.set('Content-Range', `bytes ${decision.first}-${decision.last}/${size}`);
  return true;
}
