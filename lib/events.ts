import type { BandwidthConfig } from './config/config-model';
import type { ConfigWarning } from './config/config-warning';
import type { ResponseRecord } from './observe/response-record';

/** The events of `bw.events` (and `bw.on`), with their listeners' arguments. */
export interface BandwidthEvents {
  /** A config change was validated and is now in force. */
  reload: [config: BandwidthConfig];
  /** A config change was rejected (ConfigErrors; a plain Error if the directory cannot be watched); the previous config stays in force. */
  error: [err: Error];
  /** A response finished (completed or aborted). */
  response: [record: ResponseRecord];
  /** A config that is valid but likely a mistake (each reported once). */
  warning: [warning: ConfigWarning];
}

/**
 * A listener of event K. Declared as a method, so its parameters are checked bivariantly (as
 * DOM listeners are): `(err: ConfigErrors) => …` is accepted for `'error'`, whose argument is
 * an Error that is a ConfigErrors for every rejected config change.
 */
export type BandwidthListener<K extends keyof BandwidthEvents> = { bivariant(...args: BandwidthEvents[K]): void }['bivariant'];

/**
 * An EventEmitter typed by BandwidthEvents: listeners get typed arguments, and an unknown
 * event name is a type error.
 * @example
 * ```ts
 * bw.events.on('response', (record) => log(record.vhost, record.bytes));
 * ```
 */
export interface BandwidthEventEmitter {
  on<K extends keyof BandwidthEvents>(event: K, listener: BandwidthListener<K>): this;
  once<K extends keyof BandwidthEvents>(event: K, listener: BandwidthListener<K>): this;
  off<K extends keyof BandwidthEvents>(event: K, listener: BandwidthListener<K>): this;
  addListener<K extends keyof BandwidthEvents>(event: K, listener: BandwidthListener<K>): this;
  removeListener<K extends keyof BandwidthEvents>(event: K, listener: BandwidthListener<K>): this;
  removeAllListeners(event?: keyof BandwidthEvents): this;
  listenerCount(event: keyof BandwidthEvents): number;
}
