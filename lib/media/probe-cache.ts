import { OptionError } from '../errors';
import type { MediaInfo } from '../types';

/**
 * A bounded LRU of probe results keyed by (path, size, mtime) (docs/spec.md §4), so a file that
 * changes is probed again and a hot file is probed once. It holds promises, so concurrent
 * requests for the same file share one probe.
 *
 * @example
 * ```ts
 * const cache = new ProbeCache({ max: 500 });
 * await probeFile('/media/a.mp4', { cache });
 * ```
 */
export class ProbeCache {
  readonly max: number;
  readonly #entries = new Map<string, Promise<MediaInfo>>();

  constructor(options: { max?: number } = {}) {
    const max = options.max ?? 1000;
    if (!Number.isInteger(max) || max < 1) throw new OptionError('max', 'an integer ≥ 1', max);
    this.max = max;
  }

  /** The key of one version of a file. */
  static key(path: string, size: number, mtimeMs: number): string {
    return `${size}:${mtimeMs}:${path}`;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached probe for `key`, made by `probe` on a miss. */
  get(key: string, probe: () => Promise<MediaInfo>): Promise<MediaInfo> {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key); // re-insert: most recently used last
      this.#entries.set(key, hit);
      return hit;
    }
    const made = probe();
    this.#entries.set(key, made);
    made.catch(() => this.#entries.delete(key)); // I/O errors are not remembered
    while (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
    return made;
  }

  clear(): void {
    this.#entries.clear();
  }
}
