import fs from 'node:fs';
import type { Context } from 'koa';
import type { BandwidthState } from './middleware';
import type { BandwidthRuntime } from './runtime';
import type { SessionKey } from './meter/flow';
import { MAX_PLAYLIST_BYTES, type SegmentEntry } from './segmented/segment-entry';
import { mediaSeconds, pacedSeconds, segmentPlan, spreadPlan } from './segmented/segment-plan';
import { viewerKey, type ViewerSource } from './segmented/viewer-key';
import { viewerSessionKey } from './session-key';
import type { SegmentFacts } from './types';

/** What `respond` does with a request once it knows its segment facts. */
export type Finish = (session?: SessionKey) => undefined;

/**
 * The viewer of a request (docs/segmented.md): CMCD sid, the vhost's `<Viewer Param Cookie>`,
 * else the client IP.
 */
export function viewerOf(ctx: Context, state: BandwidthState): { id: string; source: ViewerSource } {
  // The client address after trusted proxies (docs/config.md#trusted-proxies), as for IP rules.
  return viewerKey({ querystring: state.originalQuerystring, headers: state.facts.headers, ip: state.clientIp }, state.vhost.viewer);
}

/**
 * The middleware's second half for HLS/DASH requests (docs/segmented.md): the session is the
 * viewer's; a playlist is learned as it is served; a media segment gets its duration from
 * the playlists, its `x` rate from size × 8 ÷ duration and its boost from the viewer's.
 * An `.mp4` comes here only when {@link mayBeListed}; `progressive` handles it when no
 * playlist places it after all.
 */
export function respondSegmented(
  ctx: Context,
  state: BandwidthState,
  runtime: BandwidthRuntime,
  kind: 'playlist' | 'segment' | 'listed',
  finish: Finish,
  progressive: () => Promise<void> | undefined,
): Promise<void> | undefined {
  const seg = runtime.segmented;
  if (seg === null) return progressive();
  const viewer = viewerOf(ctx, state);
  // The vhost's <SessionKey> kind, else the session option (docs/config.md#sessions-sessionkey).
  const mode = state.vhost.sessionKey?.kind ?? runtime.options.session;
  // `ip` and a function are the operator's explicit choice; the default groups a viewer's requests.
  const session = mode === 'connection' || mode === 'viewer' ? viewerSessionKey(viewer.id) : undefined;
  const done = (): undefined => finish(session);
  const path = state.facts.path;
  const body: unknown = ctx.body;
  const file = body instanceof fs.ReadStream && typeof body.path === 'string' ? body.path : null;
  if (kind === 'playlist') {
    setSegment(state, { kind: 'playlist', duration: null, seq: null, boosted: 0, viewer: viewer.id, viewerSource: viewer.source }, null);
    if (!state.vhost.throttling || ctx.status !== 200) return done();
    // A playlist is learned as it is served (docs/segmented.md): its init segment (`init.mp4`)
    // and segments are then known by URL, even where the disk index cannot see them.
    if (file !== null) return seg.index.learnFile(path, file).then(done);
    learn(seg.index, path, body);
    return done();
  }
  // A missing file, an error page or a HEAD is no media: it joins the viewer's session, and no more.
  if (!carriesMedia(ctx)) return done();
  // Most segment requests are plain files: the playlists next to them tell what they are.
  return placeAndFinish(ctx, state, runtime, seg.index.fromServed(path), file, kind, viewer, done, progressive);
}

/**
 * Whether an `.mp4` may be a segment (docs/segmented.md): a playlist served through the
 * middleware lists it, or one beside it that the index has already read. A synchronous check,
 * made before anything else, so a progressive `.mp4` (most of them) costs no directory read
 * and no viewer lookup.
 */
export function mayBeListed(ctx: Context, state: BandwidthState, runtime: BandwidthRuntime): boolean {
  const seg = runtime.segmented;
  if (seg === null || !carriesMedia(ctx)) return false;
  if (seg.index.fromServed(state.facts.path) !== null) return true;
  const body: unknown = ctx.body;
  return body instanceof fs.ReadStream && typeof body.path === 'string' && seg.index.listsIn(body.path);
}

function carriesMedia(ctx: Context): boolean {
  return ctx.body != null && ctx.status >= 200 && ctx.status <= 299 && ctx.method !== 'HEAD';
}

async function placeAndFinish(
  ctx: Context,
  state: BandwidthState,
  runtime: BandwidthRuntime,
  served: SegmentEntry | null,
  file: string | null,
  kind: 'segment' | 'listed',
  viewer: { id: string; source: ViewerSource },
  done: () => undefined,
  progressive: () => Promise<void> | undefined,
): Promise<void> {
  const seg = runtime.segmented as NonNullable<BandwidthRuntime['segmented']>;
  const entry = served ?? (file !== null ? await seg.index.fromDisk(file) : null);
  if (entry === null && kind === 'listed') return progressive();
  const facts = { viewer: viewer.id, viewerSource: viewer.source };
  if (entry?.kind === 'init') {
    setSegment(state, { kind: 'init', duration: null, seq: null, boosted: 0, ...facts }, null);
    return done();
  }
  const size = await segmentSize(ctx, file);
  const duration = entry?.kind === 'media' ? entry.duration : null;
  const seq = entry?.kind === 'media' ? entry.seq : null;
  const plan = state.plan;
  const key = `${plan.vhost}\n${viewer.id}`;
  const boosted = plan.throttle ? seg.viewers.boosted(key, seq, mediaSeconds(plan, duration, size), plan.boostSeconds) : 0;
  setSegment(state, { kind: 'media', duration, seq, boosted, ...facts }, size);
  // The viewer is paced, not each request: a segment asked for before the previous one is
  // due is spread to end after it.
  if (state.plan.throttle) state.plan = spreadPlan(state.plan, size, seg.viewers.spread(key, seq, pacedSeconds(state.plan, size)));
  return done();
}

function setSegment(state: BandwidthState, segment: SegmentFacts, size: number | null): void {
  state.plan = segmentPlan(state.plan, segment, size);
}

/** The whole segment's size (a 206 carries part of it): the file's, else the body's when it is all of it. */
async function segmentSize(ctx: Context, file: string | null): Promise<number | null> {
  if (file !== null) {
    try {
      return (await fs.promises.stat(file)).size;
    } catch {
      return null;
    }
  }
  if (ctx.response.get('Content-Range')) return null;
  return ctx.response.length ?? null;
}

/** A playlist body held in memory (a proxy, a packager) is parsed once, at most {@link MAX_PLAYLIST_BYTES} of it. */
function learn(index: NonNullable<BandwidthRuntime['segmented']>['index'], path: string, body: unknown): void {
  if (Buffer.isBuffer(body)) index.learn(path, body.subarray(0, MAX_PLAYLIST_BYTES).toString('utf8'));
  else if (typeof body === 'string') index.learn(path, body.slice(0, MAX_PLAYLIST_BYTES));
}
