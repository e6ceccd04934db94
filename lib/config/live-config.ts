import { EventEmitter } from 'node:events';
import { ConfigError, ConfigErrors } from '../errors';
import type { NormalizedOptions } from '../options';
import type { BandwidthConfig } from './config-model';
import { ConfigWatcher } from './config-watcher';
import { readConfigDir } from './load-config-dir';
import { normalizeConfig } from './normalize-config';
import { VhostTable } from './vhost-table';
import type { ConfigWarning } from './config-warning';

/**
 * The config in force, swapped atomically on reload (docs/config.md, "Reloading is conservative"). Requests
 * read `table` once and keep what they read, so in-flight requests keep their plan. A reload
 * is conservative: besides any invalid change, one where a file the config in force came
 * from is now missing, unreadable or empty is rejected, and the old config stays.
 *
 * Events: `reload` (the new BandwidthConfig), `error` (ConfigErrors of a rejected change;
 * emitted only when someone listens, and always logged), `warning` (a ConfigWarning, once),
 * and `response` (a ResponseRecord, emitted by the runtime). Typed as BandwidthEvents.
 */
export class LiveConfig extends EventEmitter {
  table: VhostTable;
  private watcher: ConfigWatcher | null = null;
  /** The files the config in force came from (a config directory only). */
  private files: ReadonlyMap<string, boolean> | undefined = undefined;
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
        // Losing the watch is reported like a bad change, as the one error type listeners handle.
        (err) => this.report(new ConfigErrors([new ConfigError(`cannot watch for changes: ${err.message}`, { file: '.', line: 0, column: 0 })])),
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

  /** @throws ConfigErrors, and nothing else. */
  private load(): BandwidthConfig {
    const src = this.options.source;
    const geoip = this.options.geoip !== undefined;
    if (src.kind === 'dir') {
      const loaded = readConfigDir(src.dir, { geoip, previous: this.files });
      this.files = loaded.files;
      return loaded.config;
    }
    try {
      return normalizeConfig(src.config, { geoip, throttlingDefault: 'rules' });
    } catch (e) {
      if (e instanceof ConfigErrors) throw e;
      throw new ConfigErrors([new ConfigError(`cannot load the config: ${e instanceof Error ? e.message : String(e)}`, { file: '<options>', line: 0, column: 0 })]);
    }
  }

  private report(err: Error): void {
    const lines = err instanceof ConfigErrors ? err.errors.map((e) => e.format()) : [err.message];
    this.options.logger.error({ err, errors: lines }, 'koa-bandwidth: config change rejected; the previous config stays in force');
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
