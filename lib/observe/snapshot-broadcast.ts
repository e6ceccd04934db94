import type { Writable } from 'node:stream';

/** One `/events` client: where frames go, and how many bytes wait to reach its socket. */
export interface BroadcastClient {
  readonly stream: Writable;
  /** Bytes queued for this client in our process (stream, response and socket buffers). */
  queued(): number;
}

export interface SnapshotBroadcastOptions {
  /** The snapshot, serialised: called once per interval however many clients there are. */
  frame: () => string;
  intervalMs: number;
  /** A client with more than this many bytes queued is dropped (it is not reading). */
  maxQueuedBytes: number;
}

/**
 * Sends one serialised snapshot per interval to every `/events` client: the frame is built
 * once (one `stats()`, one `JSON.stringify`, one Buffer) and the same Buffer is written to
 * each, so 100 readers cost one serialisation, not 100. A client that does not read has its
 * frames pile up in our buffers: once more than `maxQueuedBytes` wait, it is dropped, so
 * clients that stall cost bounded memory. One unref'd timer runs while any client is open.
 */
export class SnapshotBroadcast {
  private readonly clients = new Set<BroadcastClient>();
  private timer: NodeJS.Timeout | null = null;
  private last: { at: number; frame: Buffer } | null = null;
  /** Clients dropped for not reading, since the start. */
  dropped = 0;

  constructor(private readonly o: SnapshotBroadcastOptions) {}

  get size(): number {
    return this.clients.size;
  }

  /** Adds a client and sends it the current frame (made now if the last is an interval old). */
  add(client: BroadcastClient): void {
    this.clients.add(client);
    client.stream.once('close', () => this.remove(client));
    if (this.timer === null) {
      this.timer = setInterval(this.tick, this.o.intervalMs);
      this.timer.unref();
    }
    const now = performance.now();
    const frame = this.last !== null && now - this.last.at < this.o.intervalMs ? this.last.frame : this.make(now);
    client.stream.write(frame);
  }

  /** Ends every client's stream and stops the timer. */
  close(): void {
    for (const c of [...this.clients]) c.stream.end();
    this.stop();
  }

  private remove(client: BroadcastClient): void {
    this.clients.delete(client);
    if (this.clients.size === 0) this.stop();
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.last = null;
  }

  private make(now: number): Buffer {
    const frame = Buffer.from(this.o.frame());
    this.last = { at: now, frame };
    return frame;
  }

  private readonly tick = (): void => {
    const frame = this.make(performance.now());
    for (const c of [...this.clients]) {
      if (c.queued() > this.o.maxQueuedBytes) {
        this.dropped++;
        c.stream.destroy();
        continue;
      }
      c.stream.write(frame);
    }
  };
}
