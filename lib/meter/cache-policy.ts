/**
 * Whether the block cache is worth using now. Each evicted block reports how many bytes were
 * served from it; a block evicted before its bytes were served once over (a working set larger
 * than the cache: many cold files, viewers far apart in one large file) means every block is
 * read more than once, which costs more than each flow reading for itself. The policy keeps a
 * moving average of that reuse and steps aside below `low`, with a probe every `probeEvery`
 * misses so it notices when reuse comes back (above `high`). Fewer probes (1 in 32) or none
 * (never stepping aside) both cost more CPU in the 50-file bench (docs/benchmarks.md).
 *
 * Pure: it counts what it is told.
 */
export class CachePolicy {
  /** Moving average of bytes served per byte loaded, over evicted blocks. */
  reuse = 2;
  bypassing = false;
  private misses = 0;

  constructor(
    readonly low = 1,
    readonly high = 1.5,
    readonly probeEvery = 8,
    readonly weight = 1 / 16,
  ) {}

  /** A block left the cache after `served` bytes were served from its `length`. */
  evicted(served: number, length: number): void {
    if (length <= 0) return;
    this.reuse += (served / length - this.reuse) * this.weight;
    if (!this.bypassing && this.reuse < this.low) this.bypassing = true;
    else if (this.bypassing && this.reuse > this.high) this.bypassing = false;
  }

  /** A miss: load the block into the cache? */
  admit(): boolean {
    if (!this.bypassing) return true;
    this.misses = (this.misses + 1) % this.probeEvery;
    return this.misses === 0;
  }
}
