/** What the wheel holds: anything with a slot field it may set (-1 = not on the wheel). */
export interface WheelEntry {
  wakeSlot: number;
}

/**
 * A timing wheel of `slotMs` slots: entries sleep until a slot, and `due(now, fn)` hands every
 * entry whose slot has come to `fn`, once. An entry moved to another slot, or taken off, is
 * skipped where it was (lazy deletion), so moving one costs nothing. One timer for all of them
 * is the caller's (Scheduler).
 */
export class TimingWheel<T extends WheelEntry> {
  private readonly slots = new Map<number, T[]>();
  /** The next slot to run; -1 while empty. */
  private next = -1;
  size = 0;

  constructor(private readonly slotMs: number) {}

  /** Sleep until `at` ms (rounded up to a slot). */
  add(e: T, now: number, at: number): void {
    const slot = Math.ceil(at / this.slotMs);
    if (e.wakeSlot < 0) this.size++;
    e.wakeSlot = slot;
    if (this.next < 0) this.next = Math.floor(now / this.slotMs);
    const list = this.slots.get(slot);
    if (list) list.push(e);
    else this.slots.set(slot, [e]);
  }

  /** When the earliest slot holding an entry comes (ms), or Infinity when none does. */
  nextAt(): number {
    if (this.size === 0) return Infinity;
    let best = Infinity;
    for (const slot of this.slots.keys()) if (slot < best) best = slot;
    return best * this.slotMs;
  }

  /** Take the entry off the wheel. */
  remove(e: T): void {
    if (e.wakeSlot < 0) return;
    e.wakeSlot = -1;
    if (--this.size === 0) this.slots.clear();
  }

  /** Every entry due by `now`, in slot order; `fn` may add entries (to later slots). */
  due(now: number, fn: (e: T) => void): void {
    if (this.size === 0) {
      this.next = -1;
      return;
    }
    const last = Math.floor(now / this.slotMs);
    for (; this.next <= last; this.next++) {
      const list = this.slots.get(this.next);
      if (!list) continue;
      this.slots.delete(this.next);
      for (const e of list) {
        if (e.wakeSlot !== this.next) continue;
        e.wakeSlot = -1;
        this.size--;
        fn(e);
      }
    }
  }
}
