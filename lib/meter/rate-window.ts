const SLOTS = 10;
const SLOT_MS = 100;

/**
 * Bytes sent over the last second, in ten 100 ms slots, for `stats()` rates. The slots are a
 * plain array: one is made per response of a new session, and a typed array cost a small
 * file's response about 2.5 µs (bench/engine/overhead-server.js).
 */
export class RateWindow {
  private readonly slots: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  private slot = -1;

  add(now: number, n: number): void {
    this.roll(now);
    this.slots[this.slot % SLOTS]! += n;
  }

  /** Bytes/s over the last second. */
  rate(now: number): number {
    this.roll(now);
    let sum = 0;
    for (let i = 0; i < SLOTS; i++) sum += this.slots[i] as number;
    return sum;
  }

  private roll(now: number): void {
    const s = Math.floor(now / SLOT_MS);
    if (this.slot < 0) this.slot = s;
    if (s - this.slot >= SLOTS) this.slots.fill(0);
    else for (let k = this.slot + 1; k <= s; k++) this.slots[k % SLOTS] = 0;
    if (s > this.slot) this.slot = s;
  }
}
