'use strict';
// The one module that builds the bench server's Koa app, so that every figure is for what
// users run: the public `bandwidth()` middleware with a plain `config` object. Modes:
//   plain    — koa-send only (the overhead baseline)
//   engine   — koa-send behind bandwidth(); no observer
//   observed — as `engine`, plus everything that collects stats: a 'response' listener, a
//              diagnostics_channel subscriber, prometheusMetrics() registered and scraped every
//              second (docs/performance.md: collecting stats costs ≤ 2 % of throughput).
// Limits come from the config and the query string (docs/spec.md §3):
//   Host `bench`: no TrafficCap; `?kbps=N` gives BT at N kbps, `&boost=S` a boost of S seconds;
//                 no query, no BT (no rule matches and the query gave nothing).
//   Host `cap50`: the same, under a 50 Mbps TrafficCap.
const diagnosticsChannel = require('node:diagnostics_channel');
const Koa = require('koa');
const send = require('koa-send');
const { bandwidth } = require('../../dist/lib/index.js');

const CONFIG = {
  defaults: {
    unit: 'kbps',
    bandwidth: 1000,
    ratio: 100,
    boost: 0,
    throttling: true,
    queryString: true,
    params: { bandwidth: 'kbps', boost: 'boost' },
  },
  vhosts: [{ name: 'bench' }, { name: 'cap50', options: { trafficCap: 50 } }],
  default: 'bench',
};

function createApp(mode, mediaDir) {
  if (!['plain', 'engine', 'observed'].includes(mode)) throw new Error(`unknown mode ${mode}`);
  const app = new Koa();
  app.silent = true;
  let bw = null;
  const observers = { records: 0, channel: 0, scrapes: 0 };
  let stopObserving = () => {};
  if (mode !== 'plain') {
    bw = bandwidth({ config: CONFIG });
    app.use(bw);
  }
  if (mode === 'observed') stopObserving = observe(bw, observers);
  app.use(async function files(ctx) {
    await send(ctx, ctx.path, { root: mediaDir });
  });
  return { app, bw, observers, close: () => (stopObserving(), bw?.close()) };
}

/**
 * What an operator turns on to watch the traffic (docs/observability.md); returns a function that stops it.
 * `channel: false` leaves the diagnostics channel (process-wide) to the caller.
 */
function observe(bw, counts, { channel = true } = {}) {
  const { prometheusMetrics } = require('../../dist/lib/index.js');
  const { Registry } = require('prom-client');
  const registry = new Registry();
  const unregister = prometheusMetrics(bw, { registry });
  const onRecord = (record) => {
    counts.records += record.bytes > 0 ? 1 : 0;
  };
  bw.events.on('response', onRecord);
  const onChannel = (record) => {
    counts.channel += record.status > 0 ? 1 : 0;
  };
  if (channel) diagnosticsChannel.subscribe('koa-bandwidth:response', onChannel);
  const scrape = setInterval(() => {
    registry.metrics().then((text) => {
      counts.scrapes += text.length > 0 ? 1 : 0;
    });
  }, 1000);
  scrape.unref();
  return () => {
    clearInterval(scrape);
    bw.events.off('response', onRecord);
    if (channel) diagnosticsChannel.unsubscribe('koa-bandwidth:response', onChannel);
    unregister();
  };
}

/** The diagnostics channel's share of observe(), for callers that toggle it alone. */
function channelCounter(counts) {
  return (record) => {
    counts.channel += record.status > 0 ? 1 : 0;
  };
}

module.exports = { createApp, CONFIG, observe, channelCounter };
