import { Readable } from 'node:stream';
import type { BodySource } from './body-source';
import type { Flow, FlowSpec } from './flow';
import type { Scheduler } from './scheduler';

/**
 * The response body Koa pipes to the socket. `_read` (the socket can take more) tells the
 * scheduler the flow wants bytes; a grant reads that many bytes from the source and pushes
 * them. So the source is read only when granted and when the socket is not backpressured.
 */
export class MeteredBody extends Readable {
  readonly flow: Flow;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly source: BodySource,
    spec: Omit<FlowSpec, 'onGrant'>,
  ) {
    // highWaterMark 0: nothing is read ahead of the socket's demand.
    super({ highWaterMark: 0 });
    this.flow = scheduler.open({ ...spec, onGrant: (n) => this.onGrant(n) });
  }

  override _read(): void {
    this.scheduler.want(this.flow);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.scheduler.close(this.flow);
    this.source.destroy();
    cb(err);
  }

  private onGrant(n: number): void {
    this.source.read(n, (err, chunk) => {
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
        this.push(null);
        return;
      }
      this.scheduler.sent(f, chunk.length);
      const last = f.sent >= f.spec.length;
      if (last) this.scheduler.close(f);
      this.push(chunk);
      if (last) this.push(null);
    });
  }
}
