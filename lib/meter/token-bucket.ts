/**
 * A token bucket with an explicit burst bound (docs/spec.md §5): tokens accrue at `rate` bytes/s up
 * to `burst`, so a stall (backpressure, an idle client) never banks more than `burst`.
 * Pure: the caller passes the time, in milliseconds, from an injected clock.
 */
export class TokenBucket {
  rate: number;
  burst: number;
  tokens: number;
  private last: number;

  constructor(rate: number, burst: number, now: number, tokens = 0) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = Math.min(tokens, burst);
    this.last = now;
  }

  /** Accrue tokens for the time since the last refill; returns the tokens available. */
  refill(now: number): number {
    const dt = now - this.last;
    if (dt > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (this.rate * dt) / 1000);
      this.last = now;
    }
    return this.tokens;
  }

  /** Remove `n` tokens (the caller granted them). */
  take(n: number): void {
    this.tokens -= n;
  }

  /** Empty the bucket and restart its clock: used when BT starts after the exempt bytes. */
  reset(now: number): void {
    this.tokens = 0;
    this.last = now;
  }

  /** Milliseconds until `n` tokens are available (0 if they are now). */
  msUntil(n: number): number {
    const missing = n - this.tokens;
    return missing <= 0 ? 0 : (missing * 1000) / this.rate;
  }
}
