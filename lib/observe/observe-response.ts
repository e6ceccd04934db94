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

type Writer = { write: (...a: unknown[]) => boolean; end: (...a: unknown[]) => unknown };

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
    const patched = res as unknown as Writer;
    const { write, end } = patched;
    const count = (chunk: unknown, encoding: unknown): void => {
      if (typeof chunk === 'string') unmetered.add(Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
      else if (chunk instanceof Uint8Array) unmetered.add(chunk.byteLength);
    };
    // HTTP/2's compat `end(chunk)` writes the chunk through `this.write`: count it once.
    let ending = false;
    patched.write = function (this: unknown, ...args: unknown[]) {
      // A write after the end or on a closed response sends nothing.
      if (!ending && !res.writableEnded && !res.destroyed) count(args[0], args[1]);
      return write.apply(this, args);
    };
    patched.end = function (this: unknown, ...args: unknown[]) {
      if (!res.writableEnded && !res.destroyed && typeof args[0] !== 'function') count(args[0], args[1]);
      ending = true;
      try {
        return end.apply(this, args);
      } finally {
        ending = false;
      }
    };
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
