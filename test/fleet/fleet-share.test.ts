import { fleetFixture } from '../helpers/fleet-cluster';
import { now, startDownloads } from '../helpers/fleet-client';
import { jain, spreadBytesIn, worstStall } from '../helpers/fleet-stats';
import { REDIS_FLAVOURS, sleep } from '../helpers/redis-server';
import { describeWithTools } from '../helpers/system';

// The fleet share test (docs/redis.md): three real processes (node:cluster workers of bench/fleet.js, each a Koa
// app with bandwidth() on redisStore) share a 20 Mbps vhost cap; 200 downloads, 70 / 20 / 10 %
// of them on each process. Measured at the clients.
const CAP_MBPS = 20;
const CAP = (CAP_MBPS * 1_000_000) / 8;
const SPREAD = [140, 40, 20];
const WARMUP_MS = 2000;
const WINDOW_MS = 10_000;

describeWithTools({ 'redis-server': 'redis-server' }, 'three processes share one TrafficCap through Redis', () => {
  // This test is about sharing, not about timeouts (fleet-faults.test.ts keeps the 100 ms
  // default and stops Redis for real). In CI, Chromium and other suites share the 2 cores, and
  // one CI run saw redis-server answer a single call late: the worker degraded for a moment and
  // this test failed on a healthy Redis. A 1 s deadline still flags any Redis that is really
  // slow or gone, as does any degradation below.
  const fx = fleetFixture(CAP_MBPS, { redisTimeoutMs: 1000 });

  it.each(REDIS_FLAVOURS)('with %s: 200 downloads at 70 / 20 / 10 % get the cap, fairly, at ≤ 200 Redis calls/s', async (flavour) => {
    const fleet = await fx.start(flavour);
    const run = startDownloads(fleet.ports, SPREAD, '/big.bin');
    fx.track(run.abort);
    await sleep(WARMUP_MS);
    const calls0 = await fx.server.calls('evalsha', 'eval');
    const from = now();
    await sleep(WINDOW_MS);
    const to = now();
    const calls = (await fx.server.calls('evalsha', 'eval')) - calls0;
    await sleep(700); // the chunks that end the window's last gaps (a flow writes every ≤ 500 ms)
    run.abort();

    const seconds = (to - from) / 1000;
    const perSession = run.downloads.map((d) => spreadBytesIn(d.chunks, from, to));
    const aggregate = perSession.reduce((a, b) => a + b, 0) / seconds / CAP;
    const perServer = SPREAD.map((_, i) => run.downloads.filter((d) => d.server === i).reduce((a, d) => a + spreadBytesIn(d.chunks, from, to), 0));
    const total = perServer.reduce((a, b) => a + b, 0);
    const fairness = jain(perSession);
    const callsPerSecond = calls / seconds;
    const fair = CAP / run.downloads.length;
    const stalls = run.downloads.map((d) => worstStall(d.chunks, from, to, () => fair));
    const worst = stalls.reduce((a, b) => (b.stall > a.stall ? b : a));
    process.stdout.write(
      `[fleet ${flavour}] ${run.downloads.length} downloads on 3 processes: aggregate ${(aggregate * 100).toFixed(1)} % of ${CAP_MBPS} Mbps, ` +
        `per process ${perServer.map((b) => ((b / total) * 100).toFixed(1)).join(' / ')} %, Jain ${fairness.toFixed(4)}, ` +
        `Redis ${calls} calls in ${seconds.toFixed(1)} s = ${callsPerSecond.toFixed(0)} calls/s, worst stall ${worst.stall.toFixed(0)} ms at ${(worst.at - from).toFixed(0)} ms ` +
        `(${stalls.filter((w) => w.stall > 250).length} sessions over 250 ms)\n`,
    );

    expect(run.downloads.filter((d) => d.ended !== null).map((d) => d.ended)).toEqual([]);
    expect(perSession.every((b) => b > 0)).toBe(true);
    // Targets (≥ 97 % of the cap, ≤ 200 Redis calls/s) are printed above; 3× here, so a busy
    // machine cannot fail them while a broken share still does.
    expect(aggregate).toBeGreaterThanOrEqual(0.8);
    expect(aggregate).toBeLessThanOrEqual(1.02);
    expect(fairness).toBeGreaterThanOrEqual(0.95);
    expect(callsPerSecond).toBeGreaterThan(0);
    expect(callsPerSecond).toBeLessThanOrEqual(600);
    expect(fleet.states.filter((s) => s.degraded)).toEqual([]);
  }, 60_000);
});
