import type { ConfigInput } from './config/config-model';
import { readDuration, readRate, type Duration, type Rate } from './config/amount';
import { OptionError } from './errors';

/** The one-line form of `bandwidth()`: every response of the app, no config files. */
export interface ShorthandOptions {
  /** Every response's rate after the boost: bytes/s, or `'2mbps'`, `'500kbps'`, `'64KiB/s'`; or `'x'` for each media file's own encoding rate. */
  rate?: Rate | 'x';
  /** Sent unthrottled before `rate` applies: seconds, or `'5s'`, `'500ms'`. Default 0 with `rate`. */
  boost?: Duration;
  /** The most one session (a connection, by default) receives, all its responses together. */
  sessionCap?: Rate;
  /** The most the whole app sends, shared fairly among its sessions. */
  trafficCap?: Rate;
}

export const SHORTHAND_KEYS = ['rate', 'boost', 'sessionCap', 'trafficCap'] as const;

/** The name stats and records give the one vhost of the one-line form. */
export const SHORTHAND_VHOST = 'default';

/**
 * The config the one-line form stands for: one vhost that every host falls to, with one
 * rule (`*`) when a rate is given. Amounts are handed on with their unit, in bytes/s and
 * seconds, so nothing is rounded through Mbps.
 * @returns null when none of the shorthand keys is given.
 * @throws OptionError naming the option and its range.
 */
export function shorthandConfig(opts: ShorthandOptions): ConfigInput | null {
  if (SHORTHAND_KEYS.every((k) => opts[k] === undefined)) return null;
  const rate = (k: 'rate' | 'sessionCap' | 'trafficCap'): string | undefined => {
    const v = opts[k];
    if (v === undefined) return undefined;
    const r = readRate(v);
    if (!r.ok) throw new OptionError(k, r.expected, v);
    return `${r.value}B/s`;
  };
  const dynamic = opts.rate === 'x';
  const bandwidth = dynamic ? undefined : rate('rate');
  let boost = 0;
  if (opts.boost !== undefined) {
    const b = readDuration(opts.boost);
    if (!b.ok) throw new OptionError('boost', b.expected, opts.boost);
    if (opts.rate === undefined) throw new OptionError('boost', 'given with `rate` (a boost is the start of a throttled response)', opts.boost);
    boost = b.value;
  }
  const sessionCap = rate('sessionCap');
  const trafficCap = rate('trafficCap');
  const throttled = bandwidth !== undefined || dynamic;
  return {
    vhosts: [
      {
        name: SHORTHAND_VHOST,
        options: {
          throttling: true,
          ...(bandwidth !== undefined ? { bandwidth } : {}),
          boost: `${boost}s`,
          ...(sessionCap !== undefined ? { sessionCap } : {}),
          ...(trafficCap !== undefined ? { trafficCap } : {}),
        },
        ...(throttled ? { rules: dynamic ? '*, x' : '*' } : {}),
      },
    ],
    default: SHORTHAND_VHOST,
  };
}
