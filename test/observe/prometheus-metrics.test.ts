import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { prometheusMetrics } from '../../lib/observe/prometheus-metrics';
import { buildRecord } from '../../lib/observe/response-record';
import type { StatsSnapshot } from '../../lib/types';
import { OptionError } from '../../lib/errors';

function fakeSource() {
  const snapshot: StatsSnapshot = {
    time: 0,
    vhosts: [
      { name: 'a.example', cap: 6_250_000, rate: 1000, bytesSent: 0, activeSessions: 2, throttledSessions: 1 },
      { name: '_unmatched', cap: 0, rate: 0, bytesSent: 0, activeSessions: 0, throttledSessions: 0 },
    ],
    sessions: [],
  };
  return { snapshot, source: { stats: () => snapshot, events: new EventEmitter(), store: { kind: 'redis', degraded: true } } };
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('prometheusMetrics', () => {
  it('exports sent bytes as a counter that follows the stats', async () => {
    const registry = new Registry();
    const { snapshot, source } = fakeSource();
    prometheusMetrics(source, { registry });
    snapshot.vhosts[0]!.bytesSent = 5000;
    let text = await registry.metrics();
    expect(value(text, 'koa_bandwidth_sent_bytes_total{vhost="a.example"}')).toBe(5000);
    await sleep(120);
    snapshot.vhosts[0]!.bytesSent = 7500;
    text = await registry.metrics();
    expect(value(text, 'koa_bandwidth_sent_bytes_total{vhost="a.example"}')).toBe(7500);
    expect(value(text, 'koa_bandwidth_sent_bytes_total{vhost="_unmatched"}')).toBe(0);
  });

  it('exports gauges for sessions, cap, rate and the store state', async () => {
    const registry = new Registry();
    const { source } = fakeSource();
    prometheusMetrics(source, { registry, prefix: 'edge_' });
    const text = await registry.metrics();
    expect(value(text, 'edge_active_sessions{vhost="a.example"}')).toBe(2);
    expect(value(text, 'edge_throttled_sessions{vhost="a.example"}')).toBe(1);
    expect(value(text, 'edge_cap_bytes_per_second{vhost="a.example"}')).toBe(6_250_000);
    expect(value(text, 'edge_rate_bytes_per_second{vhost="a.example"}')).toBe(1000);
    expect(value(text, 'edge_store_degraded{store="redis"}')).toBe(1);
  });

  it('counts responses by vhost and throttled', async () => {
    const registry = new Registry();
    const { source } = fakeSource();
    prometheusMetrics(source, { registry });
    const rec = (throttle: boolean) =>
      buildRecord({ start: 0, end: 1, vhost: 'a.example', session: 's1', ip: '::1', method: 'GET', url: '/', status: 200, bytes: 1, aborted: false, plan: throttle ? { vhost: 'a.example', throttle: true, rule: null, bandwidth: 1, ratio: 100, boostSeconds: 0, boostBytes: 0, rate: 1, dynamic: false, sessionCap: 0, trafficCap: 0 } : null });
    source.events.emit('response', rec(true));
    source.events.emit('response', rec(true));
    source.events.emit('response', rec(false));
    const text = await registry.metrics();
    expect(value(text, 'koa_bandwidth_responses_total{vhost="a.example",throttled="true"}')).toBe(2);
    expect(value(text, 'koa_bandwidth_responses_total{vhost="a.example",throttled="false"}')).toBe(1);
  });

  it('drops gauges of a vhost that a reload removed', async () => {
    const registry = new Registry();
    const { snapshot, source } = fakeSource();
    prometheusMetrics(source, { registry });
    expect(await registry.metrics()).toContain('koa_bandwidth_active_sessions{vhost="a.example"}');
    await sleep(120);
    snapshot.vhosts.shift();
    expect(await registry.metrics()).not.toContain('koa_bandwidth_active_sessions{vhost="a.example"}');
  });

  it('unregisters and stops listening when disposed', async () => {
    const registry = new Registry();
    const { source } = fakeSource();
    const dispose = prometheusMetrics(source, { registry });
    dispose();
    expect(source.events.listenerCount('response')).toBe(0);
    expect(await registry.metrics()).toBe('\n');
  });

  it('rejects a prefix that is no metric name', () => {
    const { source } = fakeSource();
    expect(() => prometheusMetrics(source, { registry: new Registry(), prefix: 'bad-prefix' })).toThrow(OptionError);
  });
});
