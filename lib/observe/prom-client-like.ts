/**
 * The part of prom-client (an optional peer) this package uses, described structurally, so
 * that the package's types compile in an app without prom-client installed, whatever its
 * `skipLibCheck`. A prom-client `Registry` is a PromRegistry.
 */

/** A prom-client `Registry`, or anything with the same methods. */
export interface PromRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
  removeSingleMetric(name: string): void;
}

/** Labels of one series. */
type Labels = Record<string, string>;

interface MetricConfig<T> {
  name: string;
  help: string;
  labelNames: string[];
  registers: PromRegistry[];
  collect?: (this: T) => void;
}

export interface PromCounter {
  inc(labels: Labels, value?: number): void;
}

export interface PromGauge {
  set(labels: Labels, value: number): void;
  reset(): void;
}

/** The prom-client module, as loaded with require(). */
export interface PromClientModule {
  register: PromRegistry;
  Registry: new () => PromRegistry;
  Counter: new (config: MetricConfig<PromCounter>) => PromCounter;
  Gauge: new (config: MetricConfig<PromGauge>) => PromGauge;
}
