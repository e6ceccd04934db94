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

  done(): void {
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
        bytes: this.body ? this.body.flow.sent : (this.counter as UnmeteredResponse).bytes,
        aborted: !this.finished,
        plan: this.plan,
      }),
    );
  }
}

const WATCH = Symbol('koa-bandwidth.watch');

type WatchedResponse = { [WATCH]: Watch; write: WriteFn; end: WriteFn; writableEnded: boolean; destroyed: boolean };

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

function onClose(this: WatchedResponse & { writableFinished: boolean }): void {
  const w = this[WATCH];
  // writableFinished is true exactly when 'finish' came first (everything was handed to the
  // system), so one listener serves both.
  w.finished = this.writableFinished;
  w.done();
}

/**
 * Watches one response to its end, then publishes its record (issue 7). A metered body
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
  if (res.closed) {
    w.finished = res.writableFinished;
    w.done();
    return;
  }
  res.on('close', onClose);
}

/** Whether diagnostics_channel has subscribers for records. */
export function channelHasSubscribers(): boolean {
  return responseChannel.hasSubscribers;
}
