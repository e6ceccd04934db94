import { OptionError } from '../errors';
import type { BandwidthEventEmitter } from '../events';
import type { PromClientModule, PromRegistry } from './prom-client-like';
import type { StatsSnapshot } from '../types';
import type { ResponseRecord } from './response-record';

/** What the exporter reads: the middleware returned by `bandwidth()` has all of it. */
export interface MetricsSource {
  stats(): StatsSnapshot;
  readonly events: Pick<BandwidthEventEmitter, 'on' | 'off'>;
  readonly store?: { readonly kind: string; readonly degraded: boolean } | undefined;
}

export interface PrometheusOptions {
  /** The prom-client registry to register in; default prom-client's global `register`. */
  registry?: PromRegistry;
  /** Metric name prefix; default `koa_bandwidth_`. */
  prefix?: string;
}

/**
 * Registers koa-bandwidth's metrics in a prom-client registry (prom-client is an optional
 * peer dependency). Every series is labelled by a configured vhost name or `_unmatched`,
 * never by a client's Host header, so the series count is bounded by the config.
 *
 * @example
 * ```ts
 * const bw = bandwidth({ conf: './conf' });
 * prometheusMetrics(bw, { registry });
 * router.get('/metrics', async (ctx) => { ctx.type = registry.contentType; ctx.body = await registry.metrics(); });
 * ```
 * @returns a function that unregisters the metrics and stops listening.
 */
export function prometheusMetrics(source: MetricsSource, options: PrometheusOptions = {}): () => void {
  const prom = loadPromClient();
  const registry = options.registry ?? prom.register;
  const prefix = options.prefix ?? 'koa_bandwidth_';
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new OptionError('prefix', 'a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', prefix);
  }
  const registers = [registry];

  // One snapshot serves every collector of a scrape (prom-client collects them in one turn of
  // the event loop); the next scrape takes a fresh one, however soon it comes.
  let snapshot: StatsSnapshot | null = null;
  const current = (): StatsSnapshot => {
    if (!snapshot) {
      snapshot = source.stats();
      setImmediate(() => (snapshot = null)).unref();
    }
    return snapshot;
  };

  const seenBytes = new Map<string, number>();
  new prom.Counter({
    name: `${prefix}sent_bytes_total`,
    help: 'Body bytes written to clients.',
    labelNames: ['vhost'],
    registers,
    collect() {
      for (const v of current().vhosts) {
        const before = seenBytes.get(v.name) ?? 0;
        // A vhost removed and added again by a reload starts over from zero.
        const delta = v.bytesSent >= before ? v.bytesSent - before : v.bytesSent;
        seenBytes.set(v.name, v.bytesSent);
        this.inc({ vhost: v.name }, delta);
      }
    },
  });
  const responses = new prom.Counter({
    name: `${prefix}responses_total`,
    help: 'Finished responses, by whether BT applied.',
    labelNames: ['vhost', 'throttled'],
    registers,
  });
  const gauge = (name: string, help: string, pick: (v: StatsSnapshot['vhosts'][number]) => number): void => {
    new prom.Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['vhost'],
      registers,
      collect() {
        // Vhosts that a reload removed disappear from gauges.
        this.reset();
        for (const v of current().vhosts) this.set({ vhost: v.name }, pick(v));
      },
    });
  };
  gauge('active_sessions', 'Sessions with a response in flight.', (v) => v.activeSessions);
  gauge('throttled_sessions', 'Active sessions with a BT-limited response.', (v) => v.throttledSessions);
  gauge('cap_bytes_per_second', 'The vhost TrafficCap in bytes per second (0 = none).', (v) => v.cap);
  gauge('rate_bytes_per_second', 'Achieved aggregate rate over the last second.', (v) => v.rate);
  new prom.Gauge({
    name: `${prefix}store_degraded`,
    help: '1 while the cap store runs on its local fallback.',
    labelNames: ['store'],
    registers,
    collect() {
      this.reset();
      const store = source.store;
      if (store) this.set({ store: store.kind }, store.degraded ? 1 : 0);
    },
  });

  const names = ['sent_bytes_total', 'responses_total', 'active_sessions', 'throttled_sessions', 'cap_bytes_per_second', 'rate_bytes_per_second', 'store_degraded'].map((n) => prefix + n);

  const onResponse = (record: ResponseRecord): void => {
    responses.inc({ vhost: record.vhost, throttled: String(record.plan.throttle) });
  };
  source.events.on('response', onResponse);

  return () => {
    source.events.off('response', onResponse);
    for (const name of names) registry.removeSingleMetric(name);
  };
}

function loadPromClient(): PromClientModule {
  const prom = tryLoadPromClient();
  if (!prom) throw new OptionError('prometheusMetrics', 'used with prom-client installed (npm install prom-client)', 'no prom-client');
  return prom;
}

/** prom-client, or null when it is not installed (it is an optional peer dependency). */
export function tryLoadPromClient(): PromClientModule | null {
  try {
    // Loaded only when metrics are asked for.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('prom-client') as PromClientModule;
  } catch {
    return null;
  }
}
