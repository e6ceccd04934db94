import type { Context } from 'koa';
import type { Plan } from '../types';
import type { MeteredBody } from '../meter/metered-body';
import { buildRecord, type ResponseRecord } from './response-record';
import { responseChannel } from './response-channel';
import type { UnmeteredResponse } from './unmetered-stats';

/** Where a finished response is reported: the middleware's runtime provides these. */
export interface ResponseSink {
  /** Whether anyone wants records (listeners, channel subscribers, a real logger). */
  wantsRecords(): boolean;
  /** Starts counting a response the meter does not carry, under a configured vhost name or `_unmatched`. */
  openUnmetered(vhost: string, session: string, client: { readonly ip?: string }, plan: Plan | null): UnmeteredResponse;
  /** Sends the record to the event, the channel and the logger. */
  publish(record: ResponseRecord): void;
  /** The client address records and stats show (after trusted proxies); default `ctx.ip`. */
  clientIp?(ctx: Context): string;
}

/** The client of a response, its address read only when a record or a new session needs it. */
class Client {
  constructor(
    private readonly ctx: Context,
    private readonly sink: ResponseSink,
  ) {}

  get ip(): string {
    return this.sink.clientIp ? this.sink.clientIp(this.ctx) : (this.ctx.ip ?? '');
  }
}

type WriteFn = (chunk?: unknown, encoding?: unknown, cb?: unknown) => unknown;

/**
 * One response being watched, kept on `res` under a symbol. The listener and the counting
 * `write`/`end` are shared functions that find it there: no closures per response (fresh
 * closures with rest arguments once cost about a fifth of a small file's CPU).
 */
class Watch {
  readonly start = Date.now();
  finished = false;
  /** HTTP/2's compat `end(chunk)` writes the chunk through `this.write`: count it once. */
  ending = false;
  /** The response was released (counted, recorded, its body destroyed): once only. */
  released = false;
  write: WriteFn | null = null;
  end: WriteFn | null = null;

  constructor(
    readonly ctx: Context,
    readonly vhost: string,
    readonly session: string,
    readonly plan: Plan | null,
    readonly body: MeteredBody | null,
    readonly counter: UnmeteredResponse | null,
    readonly sink: ResponseSink,
  ) {}

  /**
   * The response is over, one way or another: whatever it still holds goes back. A body that
   * did not finish is destroyed, which closes a metered body's flow (its session, timers, file
   * descriptor and store weight) and an unmetered file stream's descriptor. Koa destroys the
   * body only once the response has a socket, which a queued pipelined response never gets.
   */
  release(finished: boolean): void {
    if (this.released) return;
    this.released = true;
    // The body goes unless Node saw the response out; the record calls it complete if every
    // byte was handed over.
    if (!finished) destroyBody(this.ctx.body);
    this.finished = finished || this.handedOver();
    this.done();
  }

  /**
   * Every byte of the Content-Length was handed to Node: the body is complete, even when the
   * socket closed before Node saw the last write go out or before the source reported its end
   * (a client that read it all and hung up at once, which a busy machine makes common).
   */
  private handedOver(): boolean {
    const res = this.ctx.res as { getHeader(name: string): unknown };
    const length = Number(res.getHeader('content-length'));
    return Number.isFinite(length) && length > 0 && this.bytes() === length;
  }

  private bytes(): number {
    return this.body ? this.body.flow.sent : (this.counter as UnmeteredResponse).bytes;
  }

  private done(): void {
    this.counter?.end();
    if (!this.sink.wantsRecords()) return;
    const ctx = this.ctx;
    this.sink.publish(
      buildRecord({
        start: this.start,
        end: Date.now(),
        vhost: this.vhost,
        session: this.session,
        ip: new Client(ctx, this.sink).ip,
        method: ctx.method,
        url: ctx.url,
        status: ctx.status,
        bytes: this.bytes(),
        aborted: !this.finished,
        plan: this.plan,
      }),
    );
  }
}

const WATCH = Symbol('koa-bandwidth.watch');

type WatchedResponse = { [WATCH]: Watch; write: WriteFn; end: WriteFn; writableEnded: boolean; destroyed: boolean };
type WatchedRequest = { [WATCH]?: Watch; socket: { destroyed: boolean } | null; stream?: { destroyed: boolean; closed: boolean } };

function destroyBody(body: unknown): void {
  const stream = body as { destroy?: unknown; destroyed?: boolean } | null;
  if (stream !== null && typeof stream === 'object' && typeof stream.destroy === 'function' && stream.destroyed !== true) (stream.destroy as () => void)();
}

/**
 * Whether the request's connection (HTTP/1) or stream (HTTP/2) is gone, so its response can
 * never be sent. A request alone closing means nothing more: Node closes it once its body has
 * been read, while the response may still be running.
 */
function connectionGone(req: WatchedRequest): boolean {
  if (req.stream !== undefined) return req.stream.destroyed || req.stream.closed;
  return req.socket === null || req.socket.destroyed;
}

function sizeOf(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

function countingWrite(this: WatchedResponse, chunk?: unknown, encoding?: unknown, cb?: unknown): unknown {
  const w = this[WATCH];
  // A write after the end or on a closed response sends nothing.
  if (!w.ending && !this.writableEnded && !this.destroyed) w.counter?.add(sizeOf(chunk, encoding));
  return (w.write as WriteFn).call(this, chunk, encoding, cb);
}

function countingEnd(this: WatchedResponse, chunk?: unknown, encoding?: unknown, cb?: unknown): unknown {
  const w = this[WATCH];
  if (!this.writableEnded && !this.destroyed && typeof chunk !== 'function') w.counter?.add(sizeOf(chunk, encoding));
  w.ending = true;
  try {
    return (w.end as WriteFn).call(this, chunk, encoding, cb);
  } finally {
    w.ending = false;
  }
}

function onClose(this: WatchedResponse & { writableFinished: boolean; stream?: { rstCode?: number } }): void {
  const w = this[WATCH];
  // writableFinished is true exactly when 'finish' came first (everything was handed to the
  // system), so one listener serves both. Node's HTTP/2 compat layer emits 'finish' for a reset
  // stream too: there the stream's RST code tells (NGHTTP2_NO_ERROR, 0, is a normal end).
  w.release(this.writableFinished && !((this.stream?.rstCode ?? 0) > 0));
}

/**
 * A queued pipelined HTTP/1 response gets no 'close' when the client goes (it never had the
 * socket); its request does, when Node aborts the connection's pending requests.
 */
function onRequestClose(this: WatchedRequest): void {
  const w = this[WATCH] as Watch;
  // The response may have finished just before the client closed the connection.
  if (!w.released && connectionGone(this)) w.release((w.ctx.res as { writableFinished?: boolean }).writableFinished === true);
}

/**
 * Watches one response to its end, however it ends (the response, request or socket closes,
 * an HTTP/2 stream is reset, a pipelined response never starts), then releases what it held
 * and publishes its record (docs/observability.md). A metered body
 * counts what it pushes; an unmetered one is counted at `res.write`/`res.end` as it goes, so
 * an aborted download counts only what was written, and a long one shows in the stats while
 * it runs. Nothing is done per chunk beyond an addition.
 */
export function observeResponse(ctx: Context, vhost: string, session: string, plan: Plan | null, body: MeteredBody | null, sink: ResponseSink): void {
  const res = ctx.res as unknown as WatchedResponse & NodeJS.EventEmitter & { closed: boolean; writableFinished: boolean };
  // Two bandwidth() instances on one request: the inner one, which responded first, counts it.
  if (res[WATCH] !== undefined) return;
  const counter = body ? null : sink.openUnmetered(vhost, session, new Client(ctx, sink), plan);
  const w = new Watch(ctx, vhost, session, plan, body, counter, sink);
  res[WATCH] = w;
  if (counter) {
    w.write = res.write;
    w.end = res.end;
    res.write = countingWrite;
    res.end = countingEnd;
  }
  // The client may have gone while downstream ran: then 'close' has been emitted already.
  const req = ctx.req as unknown as WatchedRequest & NodeJS.EventEmitter;
  if (res.closed || connectionGone(req)) {
    w.release(res.writableFinished);
    return;
  }
  res.on('close', onClose);
  // HTTP/2 responses always get their stream's 'close' (a reset included), and their request
  // may close first even when the response ends normally: only HTTP/1 needs the request's.
  if (req.stream !== undefined) return;
  req[WATCH] = w;
  req.on('close', onRequestClose);
}

/** Whether diagnostics_channel has subscribers for records. */
export function channelHasSubscribers(): boolean {
  return responseChannel.hasSubscribers;
}
