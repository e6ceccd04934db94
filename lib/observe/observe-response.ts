import type { Context } from 'koa';
import type { Plan } from '../types';
import type { MeteredBody } from '../meter/metered-body';
import { buildRecord, type ResponseRecord } from './response-record';
import { responseChannel } from './response-channel';

/** Where a finished response is reported: the middleware's runtime provides these. */
export interface ResponseSink {
  /** Whether anyone wants records (listeners, channel subscribers, a real logger). */
  wantsRecords(): boolean;
  /** Bytes of responses the meter did not carry, by vhost name (configured or `_unmatched`). */
  addUnmeteredBytes(vhost: string, bytes: number): void;
  /** Sends the record to the event, the channel and the logger. */
  publish(record: ResponseRecord): void;
}

/**
 * Watches one response to its end, then counts its bytes and publishes its record (issue 7).
 * A metered body knows what it pushed; an unmetered one is counted at `res.write`/`res.end`,
 * so an aborted download counts only what was written. Nothing is done per chunk beyond
 * an addition.
 */
export function observeResponse(ctx: Context, vhost: string, session: string, plan: Plan | null, body: MeteredBody | null, sink: ResponseSink): void {
  const start = Date.now();
  const res = ctx.res;
  let unmetered = 0;
  if (!body) {
    const { write, end } = res as unknown as { write: (...a: unknown[]) => boolean; end: (...a: unknown[]) => unknown };
    const count = (chunk: unknown, encoding: unknown): void => {
      if (typeof chunk === 'string') unmetered += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      else if (chunk instanceof Uint8Array) unmetered += chunk.byteLength;
    };
    const patched = res as unknown as { write: (...a: unknown[]) => boolean; end: (...a: unknown[]) => unknown };
    patched.write = function (this: unknown, ...args: unknown[]) {
      count(args[0], args[1]);
      return write.apply(this, args);
    };
    patched.end = function (this: unknown, ...args: unknown[]) {
      if (typeof args[0] !== 'function') count(args[0], args[1]);
      return end.apply(this, args);
    };
  }
  let finished = false;
  res.once('finish', () => (finished = true));
  res.once('close', () => {
    const bytes = body ? body.flow.sent : unmetered;
    if (!body) sink.addUnmeteredBytes(vhost, unmetered);
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
        bytes,
        aborted: !finished,
        plan,
      }),
    );
  });
}

/** Whether diagnostics_channel has subscribers for records. */
export function channelHasSubscribers(): boolean {
  return responseChannel.hasSubscribers;
}
