import type { BandwidthSpec } from '../types';
import type { Condition } from './condition';

/** One compiled line of a `throttling.txt` (docs/config.md). Omitted fields are undefined. */
export interface Rule {
  /** 1-based line in its file. */
  line: number;
  /** The line as written, trimmed, for `explain` and logs. */
  text: string;
  condition: Condition;
  bandwidth?: BandwidthSpec;
  /** Percent. */
  ratio?: number;
  /** Seconds. */
  boost?: number;
  /** A byte boost (`512KB`), in place of `boost` seconds. */
  boostBytes?: number;
  /** The condition reads the response's media type (`MIME[...]`): decided after the handlers. */
  usesMime?: boolean;
}
