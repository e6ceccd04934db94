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
  openUnmetered(vhost: string, session: string, ip: string, plan: Plan | null): UnmeteredResponse;
  /** Sends the record to the event, the channel and the logger. */
  publish(record: ResponseRecord): void;
}

type WriteFn = (chunk?: unknown, encoding?: unknown, cb?: unknown) => unknown;

/** Per-response counting state, kept on the response under a symbol. */
interface Counting {
  counter: UnmeteredResponse;
  write: WriteFn;
  end: WriteFn;
  /** HTTP/2's compat `end(chunk)` writes the chunk through `this.write`: count it once. */
  ending: boolean;
}

const COUNTING = Symbol('koa-bandwidth.counting');

type CountedResponse = { [COUNTING]: Counting; write: WriteFn; end: WriteFn; writableEnded: boolean; destroyed: boolean };

function sizeOf(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

// Shared functions, not closures per response: patching `res` with fresh closures and rest
// arguments cost about a fifth of a small file's CPU in the overhead bench.
function countingWrite(this: CountedResponse, chunk?: unknown, encoding?: unknown, cb?: unknown): unknown {
  const c = this[COUNTING];
  // A write after the end or on a closed response sends nothing.
  if (!c.ending && !this.writableEnded && !this.destroyed) c.counter.add(sizeOf(chunk, encoding));
  return c.write.call(this, chunk, encoding, cb);
}

function countingEnd(this: CountedResponse, chunk?: unknown, encoding?: unknown, cb?: unknown): unknown {
  const c = this[COUNTING];
  if (!this.writableEnded && !this.destroyed && typeof chunk !== 'function') c.counter.add(sizeOf(chunk, encoding));
  c.ending = true;
  try {
    return c.end.call(this, chunk, encoding, cb);
  } finally {
    c.ending = false;
  }
}

/**
 * Watches one response to its end, then publishes its record (issue 7). A metered body
 * counts what it pushes; an unmetered one is counted at `res.write`/`res.end` as it goes, so
 * an aborted download counts only what was written, and a long one shows in the stats while
 * it runs. Nothing is done per chunk beyond an addition.
 */
export function observeResponse(ctx: Context, vhost: string, session: string, plan: Plan | null, body: MeteredBody | null, sink: ResponseSink): void {
  const start = Date.now();
  const res = ctx.res;
  const unmetered = body ? null : sink.openUnmetered(vhost, session, ctx.ip ?? '', plan);
  if (unmetered) {
    const counted = res as unknown as CountedResponse;
    counted[COUNTING] = { counter: unmetered, write: counted.write, end: counted.end, ending: false };
    counted.write = countingWrite;
    counted.end = countingEnd;
  }
  let finished = false;
  const done = (): void => {
    unmetered?.end();
    if (!sink.wantsRecords()) return;
    sink.publish(
      buildRecord({
        start,
        end: Date.now(),
        vhost,
        session,
        ip: ctx.ip ?? '',
        method: ctx.method,
        url: ctx.url,
        status: ctx.status,
        bytes: body ? body.flow.sent : (unmetered as UnmeteredResponse).bytes,
        aborted: !finished,
        plan,
      }),
    );
  };
  // The client may have gone while downstream ran: then 'close' has been emitted already.
  if (res.closed) {
    finished = res.writableFinished;
    done();
    return;
  }
  res.once('finish', () => (finished = true));
  res.once('close', done);
}

/** Whether diagnostics_channel has subscribers for records. */
export function channelHasSubscribers(): boolean {
  return responseChannel.hasSubscribers;
}
