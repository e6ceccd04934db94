import type { BandwidthConfig } from './config/config-model';
import type { ConfigWarning } from './config/config-warning';
import type { ResponseRecord } from './observe/response-record';

/** The events of `bw.events` (and `bw.on`), with their listeners' arguments. */
export interface BandwidthEvents {
  /** A config change was validated and is now in force. */
  reload: [config: BandwidthConfig];
  /** A config change was rejected (ConfigErrors); the previous config stays in force. */
  error: [err: Error];
  /** A response finished (completed or aborted). */
  response: [record: ResponseRecord];
  /** A config that is valid but likely a mistake (each reported once). */
  warning: [warning: ConfigWarning];
}

/**
 * An EventEmitter typed by BandwidthEvents: listeners get typed arguments, and an unknown
 * event name is a type error.
 * @example
 * ```ts
 * bw.events.on('response', (record) => log(record.vhost, record.bytes));
 * ```
 */
export interface BandwidthEventEmitter {
  on<K extends keyof BandwidthEvents>(event: K, listener: (...args: BandwidthEvents[K]) => void): this;
  once<K extends keyof BandwidthEvents>(event: K, listener: (...args: BandwidthEvents[K]) => void): this;
  off<K extends keyof BandwidthEvents>(event: K, listener: (...args: BandwidthEvents[K]) => void): this;
  addListener<K extends keyof BandwidthEvents>(event: K, listener: (...args: BandwidthEvents[K]) => void): this;
  removeListener<K extends keyof BandwidthEvents>(event: K, listener: (...args: BandwidthEvents[K]) => void): this;
  listenerCount(event: keyof BandwidthEvents): number;
}
