import { watch, readdirSync, type FSWatcher } from 'node:fs';
import path from 'node:path';

/**
 * Watch a config directory: the directory itself, `svc/` and every `svc/<vhost>/`
 * (non-recursive watchers, re-scanned after each change, since recursive fs.watch is not
 * dependable on every platform Node 20 runs on). Changes are debounced into one call.
 * Watchers and the timer are unref'd: they never keep the process alive.
 */
export class ConfigWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly debounceMs: number,
    private readonly onChange: () => void,
    private readonly onError: (err: Error) => void,
  ) {
    this.rescan();
  }

  /** Stop watching. Idempotent. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private rescan(): void {
    if (this.closed) return;
    const wanted = new Set<string>([this.dir]);
    const svc = path.join(this.dir, 'svc');
    try {
      for (const e of readdirSync(svc, { withFileTypes: true })) if (e.isDirectory()) wanted.add(path.join(svc, e.name));
      wanted.add(svc);
    } catch {
      // no svc/ yet: the top-level watcher sees it appear
    }
    for (const [d, w] of this.watchers) {
      if (!wanted.has(d)) {
        w.close();
        this.watchers.delete(d);
      }
    }
    for (const d of wanted) {
      if (this.watchers.has(d)) continue;
      try {
        const w = watch(d, { persistent: false }, () => this.schedule());
        w.on('error', (err) => {
          w.close();
          this.watchers.delete(d);
          if (d === this.dir) this.onError(err);
        });
        w.unref();
        this.watchers.set(d, w);
      } catch (err) {
        if (d === this.dir) this.onError(err as Error);
      }
    }
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.rescan();
      this.onChange();
    }, this.debounceMs);
    this.timer.unref();
  }
}
