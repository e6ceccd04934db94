import fs from 'node:fs';
import { Readable } from 'node:stream';
import { debuglog } from 'node:util';
import type { Context } from 'koa';
import { mediaKind } from './media/media-kind';
import { probeBuffer } from './media/probe-buffer';
import { probeFile } from './media/probe-file';
import { peekStream } from './media/peek-stream';
import { anyLimit } from './meter/engine';
import { exemptForRange } from './meter/exempt-for-range';
import type { MeteredBody } from './meter/metered-body';
import { respondDirectly } from './respond-direct';
import type { BandwidthState } from './bandwidth-state';
import type { BandwidthRuntime } from './runtime';
import { observeResponse } from './observe/observe-response';
import type { SessionKey } from './meter/flow';
import { mayBeListed, respondSegmented, viewerOf } from './respond-segmented';
import { segmentedKind } from './segmented/segment-kind';
import type { ByteRange, MediaInfo } from './types';

const debug = debuglog('koa-bandwidth');

/** How much of a path-less stream body is read ahead for the probe, and for how long at most. */
const PEEK_BYTES = 512 * 1024;
const PEEK_TIMEOUT_MS = 1000;

type FileStream = fs.ReadStream & { path: string; start?: number; end?: number };

/**
 * The middleware's second half, after downstream has set the body (docs/media.md, docs/metering.md): for a BT
 * response carrying a media file, probe it for the header ranges and the encoding rate
 * (`x` rules), then hand the body to the meter and watch the response to its end.
 */
export function respond(ctx: Context, state: BandwidthState, runtime: BandwidthRuntime): Promise<void> | undefined {
  if (state.vhost.xAccelLimitRate) readAccelLimitRate(ctx, state);
  // HLS and DASH (docs/segmented.md): playlists, init and media segments, paced per viewer.
  const segmented = runtime.segmented === null ? null : segmentedKind(state.facts.path);
  if (segmented !== null && (segmented !== 'listed' || mayBeListed(ctx, state, runtime))) {
    return respondSegmented(ctx, state, runtime, segmented, (session) => finish(ctx, state, runtime, [], session), () => progressive(ctx, state, runtime));
  }
  return progressive(ctx, state, runtime);
}

function progressive(ctx: Context, state: BandwidthState, runtime: BandwidthRuntime): Promise<void> | undefined {
  const plan = state.plan;
  // Header exemption and `x` rates matter only under BT, and need the media behind the body:
  // most responses have none, and finish here without a promise.
  const kind = plan.throttle ? mediaKind(ctx.path) : null;
  if (kind === null) return finish(ctx, state, runtime, []);
  return probeAndFinish(ctx, state, runtime, kind);
}

/** Probes the media behind the body: the file of a file stream, a whole-file Buffer (an in-memory cache), or a bounded prefix of a known-length stream. */
async function probeAndFinish(ctx: Context, state: BandwidthState, runtime: BandwidthRuntime, kind: 'mp4' | 'mp3'): Promise<void> {
  let exempt: ByteRange[] = [];
  const body: unknown = ctx.body;
  const { maxHeaderBytes } = runtime.options;
  if (isFileStream(body)) {
    const media = await probeQuietly(body.path, kind, maxHeaderBytes);
    if (media) {
      applyRate(state, media.bitrate);
      const start = body.start ?? 0;
      const end = body.end === undefined || !Number.isFinite(body.end) ? Infinity : body.end + 1;
      exempt = exemptForRange(media.header, start, end);
    }
  } else if (Buffer.isBuffer(body) && !ctx.response.get('Content-Range')) {
    // A slice (206) of a Buffer cannot be placed in its file, so only whole bodies are probed.
    const media = await probeBuffer(body, body.length, { kind, maxHeaderBytes });
    applyRate(state, media.bitrate);
    exempt = exemptForRange(media.header, 0, body.length);
  } else if (body instanceof Readable && !ctx.response.get('Content-Range') && ctx.response.length !== undefined) {
    // A stream with no file behind it (a proxy, a cache): probe a bounded prefix. Its length
    // must be known, since the encoding rate counts every payload byte.
    const length = ctx.response.length;
    const peeked = await peekStream(body, PEEK_BYTES, PEEK_TIMEOUT_MS);
    ctx.body = peeked.body;
    ctx.length = length; // Koa drops Content-Length when a stream body is replaced.
    const media = await probeBuffer(peeked.prefix, length, { kind, maxHeaderBytes });
    applyRate(state, media.bitrate);
    exempt = exemptForRange(media.header, 0, length);
  }
  finish(ctx, state, runtime, exempt);
}

/** `x` rules take the probed encoding rate (docs/config.md, docs/media.md). */
function applyRate(state: BandwidthState, bitrate: number | null): void {
  if (state.plan.dynamic) state.setEncodingRate(bitrate);
}

/**
 * An upstream's `X-Accel-Limit-Rate: N` (bytes/s; 0 = no limit), as nginx reads it, when the
 * vhost enables `<XAccelLimitRate>`. The header is removed from the response either way, as
 * nginx does; a value that is not a whole number is ignored (debuglog).
 */
function readAccelLimitRate(ctx: Context, state: BandwidthState): void {
  const raw = ctx.response.get('X-Accel-Limit-Rate');
  if (raw === '') return;
  ctx.remove('X-Accel-Limit-Rate');
  const t = String(raw).trim();
  const n = /^\d{1,15}$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n)) {
    debug('X-Accel-Limit-Rate %j ignored: not a whole number of bytes/s', raw);
    return;
  }
  state.setUpstream(n === 0 ? { throttle: false } : { throttle: true, rate: n });
}

/** Hands the body to the meter and watches the response to its end. */
function finish(ctx: Context, state: BandwidthState, runtime: BandwidthRuntime, exempt: ByteRange[], viewerSession?: SessionKey): undefined {
  const plan = state.plan;
  const session = viewerSession ?? runtime.sessionOf(ctx, state.vhost, () => viewerOf(ctx, state).id);
  const sessionId = runtime.sessionId(session);
  const rate = plan.throttle ? plan.rate : null;
  // Most responses have no limit at all: no meter input to build.
  const metered = anyLimit(rate, plan.sessionCap, plan.trafficCap) && runtime.engine.wrapBody(ctx, {
    vhost: plan.vhost,
    session,
    sessionId,
    rate,
    boostBytes: plan.boostBytes,
    sessionCap: plan.sessionCap,
    trafficCap: plan.trafficCap,
    exempt,
    ip: state.clientIp,
    plan,
  });
  if (metered) {
    const body = ctx.body as MeteredBody;
    state.attach(body);
    runtime.track(sessionId, state, body);
    respondDirectly(ctx, body);
  }
  observeResponse(ctx, plan.vhost, sessionId, plan, metered ? (ctx.body as MeteredBody) : null, runtime);
  return undefined;
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
