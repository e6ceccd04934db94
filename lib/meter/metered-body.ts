import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { BodySource, Pin } from './body-source';
import type { Flow, FlowSpec } from './flow';
import type { Scheduler } from './scheduler';

type Dest = NodeJS.WritableStream & { destroy?: (err?: Error) => void };

/**
 * The response body. Piped into a plain HTTP/1.1 response whose length is known, it writes
 * straight to the socket once the headers are out: each grant of the scheduler's tick is one
 * `socket.write`, with no stream in between and no callback per write. A flow whose socket
 * still holds its last write when the next is due is skipped (`Scheduler.stalled`), so a
 * client that stops reading costs one write in user space at most. Anywhere else (HTTP/2, a
 * compressing stream, a test reading it) it is a Readable: `_read` tells the scheduler the
 * flow wants bytes and a grant pushes them.
 */
export class MeteredBody extends Readable {
  readonly flow: Flow;
  private socket: Socket | null = null;
  private res: ServerResponse | null = null;
  private dest: Dest | null = null;
  /** The cached block the last socket write holds a slice of, until the socket has taken it. */
  private pinned: Pin | null = null;
  private draining = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly source: BodySource,
    spec: Omit<FlowSpec, 'onGrant'>,
  ) {
    // highWaterMark 0: nothing is read ahead of the socket's demand.
    super({ highWaterMark: 0 });
    this.flow = scheduler.open({ ...spec, onGrant: (n) => this.onGrant(n) });
  }

  /** The body writes (or wrote) straight to the socket: plain HTTP/1.1, known length. */
  direct = false;

  /** Piped into `res` now, the body would write straight to its socket. */
  canWriteDirectTo(res: NodeJS.WritableStream): boolean {
    return !this.destroyed && this.dest === null && directSocket(res, this.flow.spec.length) !== null;
  }

  /** Piped (by Koa's `pipeline(body, res)` or `body.pipe(res)`): direct when it can be. */
  override pipe<T extends NodeJS.WritableStream>(dest: T, opts?: { end?: boolean }): T {
    this.dest = dest as Dest;
    const socket = directSocket(dest, this.flow.spec.length);
    if (!socket) return super.pipe(dest, opts);
    const res = dest as unknown as ServerResponse;
    res.flushHeaders();
    // Still ours after the headers went out (a pipelined response would queue behind).
    if (res.chunkedEncoding || (socket as { _httpMessage?: unknown })._httpMessage !== res) return super.pipe(dest, opts);
    this.res = res;
    this.socket = socket;
    this.direct = true;
    dest.emit('pipe', this);
    this.scheduler.want(this.flow);
    return dest;
  }

  override _read(): void {
    if (!this.socket) this.scheduler.want(this.flow);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.scheduler.close(this.flow);
    this.source.destroy();
    if (this.draining) this.socket?.removeListener('drain', this.drained);
    // A write the socket still holds keeps its block pinned; a destroyed socket holds nothing.
    if (!this.socket || this.socket.destroyed || this.socket.writableLength === 0) this.unpin();
    // The headers promised a length this body can no longer keep: end the connection rather
    // than leave the client waiting for bytes that will not come.
    const dest = this.dest as (Dest & { headersSent?: boolean }) | null;
    if (err && dest && !this.flow.done && dest.headersSent !== false) dest.destroy?.(err);
    this.socket = null;
    cb(err);
  }

  private unpin(): void {
    this.pinned?.unpin();
    this.pinned = null;
  }

  private onGrant(n: number): void {
    const socket = this.socket;
    if (socket) {
      if (socket.writableLength > 0) return this.stall(socket);
      this.unpin();
    }
    this.source.read(n, (err, chunk, pin) => {
      if (this.destroyed) return;
      const f = this.flow;
      if (err) {
        this.scheduler.idle(f);
        this.destroy(err);
        return;
      }
      if (!chunk) {
        this.scheduler.idle(f);
        this.scheduler.close(f);
        if (this.socket && f.sent < f.spec.length && Number.isFinite(f.spec.length)) {
          this.destroy(new Error('the body ended before its Content-Length'));
          return;
        }
        this.end();
        return;
      }
      this.scheduler.sent(f, chunk.length);
      const last = f.sent >= f.spec.length;
      if (last) {
        f.done = true;
        this.scheduler.close(f);
      }
      const socket = this.socket;
      if (socket) {
        socket.write(chunk);
        if (pin && socket.writableLength > 0) {
          pin.pin();
          this.pinned = pin;
        }
        if (last) this.end();
        else this.scheduler.rest(f);
        return;
      }
      // The stream keeps the chunk until the socket takes it: its buffer is never reused.
      pin?.hold();
      this.push(chunk);
      if (last) this.push(null);
    });
  }

  /**
   * The socket still holds the last write. A socket that needs a drain wakes the flow with
   * its 'drain' (one listener, once); a short remainder is looked at again after a tick.
   */
  private stall(socket: Socket): void {
    if (!socket.writableNeedDrain) return this.scheduler.stalled(this.flow, 2 * this.scheduler.tickMs);
    this.scheduler.idle(this.flow);
    if (this.draining) return;
    this.draining = true;
    socket.once('drain', this.drained);
  }

  private readonly drained = (): void => {
    this.draining = false;
    if (!this.destroyed && this.socket) this.scheduler.rest(this.flow);
  };

  /**
   * The body is complete: end the stream, and in direct mode the response too. Koa pipes with
   * `pipeline(body, res)`, which waits for the body's 'end' (a close without it is an error
   * that destroys the connection), so the Readable still ends: nothing was pushed into it, and
   * resuming it lets 'end' out.
   */
  private end(): void {
    const res = this.res;
    this.push(null);
    if (!res) return;
    this.res = null;
    res.end();
    this.resume();
  }
}

/** The socket a body may write to directly: plain HTTP/1.1, length known, headers not sent. */
function directSocket(dest: NodeJS.WritableStream, length: number): Socket | null {
  if (!(dest instanceof ServerResponse) || dest.headersSent || !Number.isFinite(length)) return null;
  const socket = dest.socket;
  if (!socket || socket.destroyed || (socket as { _httpMessage?: unknown })._httpMessage !== dest) return null;
  if (dest.req?.method === 'HEAD' || dest.getHeader('transfer-encoding') !== undefined) return null;
  if (Number(dest.getHeader('content-length')) !== length) return null;
  return socket;
}
