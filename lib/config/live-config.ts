import { EventEmitter } from 'node:events';
import { ConfigErrors } from '../errors';
import type { NormalizedOptions } from '../options';
import type { BandwidthConfig } from './config-model';
import { ConfigWatcher } from './config-watcher';
import { loadConfigDir } from './load-config-dir';
import { normalizeConfig } from './normalize-config';
import { VhostTable } from './vhost-table';
import type { ConfigWarning } from './config-warning';

/**
 * The config in force, swapped atomically on reload (docs/spec.md §1). Requests read `table` once
 * and keep what they read, so in-flight requests keep their plan.
 *
 * Events: `reload` (the new BandwidthConfig), `error` (ConfigErrors of a rejected change;
 * emitted only when someone listens, and always logged), `warning` (a ConfigWarning, once),
 * and `response` (a ResponseRecord, emitted by the runtime). Typed as BandwidthEvents.
 */
export class LiveConfig extends EventEmitter {
  table: VhostTable;
  private watcher: ConfigWatcher | null = null;

  /** Warnings already reported, so a reload repeats none. */
  private readonly warned = new Set<string>();

  constructor(private readonly options: NormalizedOptions) {
    super();
    const config = this.load();
    this.table = new VhostTable(config);
    this.warn(config.warnings ?? []);
    if (options.watch && options.source.kind === 'dir') {
      this.watcher = new ConfigWatcher(
        options.source.dir,
        options.watch.debounceMs,
        () => {
          this.reload().catch(() => {}); // reported inside reload()
        },
        (err) => this.report(err),
      );
    }
  }

  /** Parse and validate the source in full; swap it in only when valid. */
  reload(): Promise<BandwidthConfig> {
    try {
      const config = this.load();
      this.table = new VhostTable(config);
      this.warn(config.warnings ?? []);
      this.options.logger.info({ vhosts: config.vhosts.length }, 'koa-bandwidth: config reloaded');
      this.emit('reload', config);
      return Promise.resolve(config);
    } catch (err) {
      this.report(err as Error);
      return Promise.reject(err);
    }
  }

  /** Stop watching. */
  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  /** Report each warning once per instance: to `warning` listeners, and to the logger or Node's warnings. */
  warn(warnings: readonly ConfigWarning[]): void {
    for (const w of warnings) {
      const text = w.format();
      if (this.warned.has(text)) continue;
      this.warned.add(text);
      this.options.warn(w.code, text);
      this.emit('warning', w);
    }
  }

  private load(): BandwidthConfig {
    const src = this.options.source;
    const geoip = this.options.geoip !== undefined;
    return src.kind === 'dir' ? loadConfigDir(src.dir, { geoip }) : normalizeConfig(src.config, { geoip, throttlingDefault: 'rules' });
  }

  private report(err: Error): void {
    const lines = err instanceof ConfigErrors ? err.errors.map((e) => e.format()) : [err.message];
    this.options.logger.error({ err, errors: lines }, 'koa-bandwidth: config change rejected; the previous config stays in force');
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
