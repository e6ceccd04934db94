import fs from 'node:fs';
import { debuglog } from 'node:util';
import type { Context } from 'koa';
import { mediaKind } from './media/media-kind';
import { probeBuffer } from './media/probe-buffer';
import { probeFile } from './media/probe-file';
import { exemptForRange } from './meter/exempt-for-range';
import type { MeteredBody } from './meter/metered-body';
import type { BandwidthState } from './middleware';
import type { BandwidthRuntime } from './runtime';
import { observeResponse } from './observe/observe-response';
import { withEncodingRate } from './policy/resolve-plan';
import { sessionKey } from './session-key';
import type { ByteRange, MediaInfo } from './types';

const debug = debuglog('koa-bandwidth');

type FileStream = fs.ReadStream & { path: string; start?: number; end?: number };

/**
 * The middleware's second half, after downstream has set the body (SPEC §4–5): for a BT
 * response carrying a media file, probe it for the header ranges and the encoding rate
 * (`x` rules), then hand the body to the meter and watch the response to its end.
 */
export async function respond(ctx: Context, state: BandwidthState, runtime: BandwidthRuntime): Promise<void> {
  let plan = state.plan;
  let exempt: ByteRange[] = [];
  const body: unknown = ctx.body;
  // Header exemption and `x` rates matter only under BT, and need the media behind the body:
  // the file of a file stream, or the bytes of a whole-file Buffer (an in-memory cache).
  const kind = plan.throttle ? mediaKind(ctx.path) : null;
  if (kind && isFileStream(body)) {
    const media = await probeQuietly(body.path, kind, runtime.options.maxHeaderBytes);
    if (media) {
      if (plan.dynamic) plan = state.plan = withEncodingRate(plan, media.bitrate);
      const start = body.start ?? 0;
      const end = body.end === undefined || !Number.isFinite(body.end) ? Infinity : body.end + 1;
      exempt = exemptForRange(media.header, start, end);
    }
  } else if (kind && Buffer.isBuffer(body) && !ctx.response.get('Content-Range')) {
    // A slice (206) of a Buffer cannot be placed in its file, so only whole bodies are probed.
    const media = await probeBuffer(body, body.length, { kind, maxHeaderBytes: runtime.options.maxHeaderBytes });
    if (plan.dynamic) plan = state.plan = withEncodingRate(plan, media.bitrate);
    exempt = exemptForRange(media.header, 0, body.length);
  }
  const session = sessionKey(ctx, runtime.options.session);
  const sessionId = runtime.sessionId(session);
  const metered = runtime.engine.wrapBody(ctx, {
    vhost: plan.vhost,
    session,
    sessionId,
    rate: plan.throttle ? plan.rate : null,
    boostBytes: plan.boostBytes,
    sessionCap: plan.sessionCap,
    trafficCap: plan.trafficCap,
    exempt,
    ip: ctx.ip ?? '',
    plan,
  });
  observeResponse(ctx, plan.vhost, sessionId, plan, metered ? (ctx.body as MeteredBody) : null, runtime);
}

function isFileStream(body: unknown): body is FileStream {
  return body instanceof fs.ReadStream && typeof body.path === 'string';
}

/** A file that cannot be probed is sent like any other: no exemption, the fallback rate. */
async function probeQuietly(path: string, kind: 'mp4' | 'mp3', maxHeaderBytes: number): Promise<MediaInfo | null> {
  try {
    return await probeFile(path, { kind, maxHeaderBytes });
  } catch (err) {
    debug('probe %s failed: %s', path, (err as Error).message);
    return null;
  }
}
