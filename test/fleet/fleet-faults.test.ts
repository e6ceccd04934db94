import { fleetFixture } from '../helpers/fleet-cluster';
import { now, startDownloads } from '../helpers/fleet-client';
import { spreadBytesIn, worstStall } from '../helpers/fleet-stats';
import { REDIS_FLAVOURS, sleep } from '../helpers/redis-server';
import { describeWithTools } from '../helpers/system';

// The fleet fault test (docs/redis.md): while three node:cluster workers (bench/fleet.js) serve
// downloads at 70 / 20 / 10 %, Redis is frozen (SIGSTOP, SIGCONT), then killed and restarted.
// 200 downloads, as in fleet-share.test.ts. Before slow flows' write phases were
// spread (lib/meter/flow.ts, nextPhase), the 140 sessions of the big process wrote in step after
// an outage and stalled 290–349 ms; now the worst stall is about 160 ms.
const CAP_MBPS = 20;
const CAP = (CAP_MBPS * 1_000_000) / 8;
// FLEET_FAULT_DOWNLOADS=N runs it at another size.
const DOWNLOADS = Number(process.env.FLEET_FAULT_DOWNLOADS ?? 200);
const SPREAD = [0.7, 0.2, 0.1].map((f) => Math.round(DOWNLOADS * f));
// Long enough that a download which waited for Redis to come back stalls for seconds, far
// beyond what a busy machine's scheduling adds (1.7 s seen with two busy loops on 2 cores).
const OUTAGE_MS = 4000;
const KEY = '{kb:media}:lease';

interface Outage {
  name: string;
  /** When Redis went away and came back (epoch ms, at the test). */
  from: number;
  to: number;
}

describeWithTools({ 'redis-server': 'redis-server' }, 'the fleet when Redis fails', () => {
  const fx = fleetFixture(CAP_MBPS);

  /** Processes registered in the vhost's lease hash (the fields not starting with `_`). */
  async function registered(): Promise<number> {
    const reply = await fx.server.command('HKEYS', KEY);
    return reply.split('\r\n').filter((l) => l !== '' && !/^[*$]/.test(l) && !l.startsWith('_')).length;
  }

  it.each(REDIS_FLAVOURS)('with %s: no stall, the cap holds, and sharing resumes within 2 s', async (flavour) => {
    const fleet = await fx.start(flavour);
    const run = startDownloads(fleet.ports, SPREAD, '/big.bin');
    fx.track(run.abort);
    await sleep(1500);
    const start = now();
    await sleep(2000);
    const outages: Outage[] = [];

    let from = now();
    fx.server.pause();
    await sleep(OUTAGE_MS);
    fx.server.resume();
    outages.push({ name: 'SIGSTOP', from, to: now() });
    await sleep(2000);

    from = now();
    await fx.server.kill();
    await sleep(OUTAGE_MS);
    await fx.server.restart(); // returns once the new server answers PING
    const back = now();
    outages.push({ name: 'kill + restart', from, to: back });
    // Shared accounting, seen from Redis: all three processes lease from the new server.
    let rejoined = NaN;
    while (now() - back < 6000) {
      if ((await registered()) === 3) {
        rejoined = now() - back;
        break;
      }
      await sleep(20);
    }
    await sleep(Math.max(0, back + 2500 - now()));
    const end = now();
    run.abort();

    // The pace each response is owed: its fair share of the cap; during an outage and until
    // recovery (2 s), the lower of that and its process's fallback (cap ÷ 3, over its sessions).
    const fair = CAP / SPREAD.reduce((a, b) => a + b, 0);
    const inOutage = (t: number) => outages.some((o) => t >= o.from && t < o.to + 2000);
    let worst = { stall: 0, at: NaN, server: -1 };
    for (const d of run.downloads) {
      const fallback = CAP / 3 / (SPREAD[d.server] ?? 1);
      const w = worstStall(d.chunks, start, end, (t) => (inOutage(t) ? Math.min(fair, fallback) : fair));
      if (w.stall > worst.stall) worst = { ...w, server: d.server };
    }
    const total = (a: number, b: number) => run.downloads.reduce((s, d) => s + spreadBytesIn(d.chunks, a, b), 0);
    const first = outages[0]?.from ?? start;
    const before = total(start, first) / ((first - start) / 1000) / CAP;
    const figures = outages.map((o) => {
      const aggregate = total(o.from, o.to) / ((o.to - o.from) / 1000) / CAP;
      // Each worker must have degraded during the outage; its recovery is its next state change.
      // (Worker clocks may differ from ours by a ms or so: hence the small negative slack.)
      const recoveries = (fleet?.pids.slice(1) ?? []).map((pid) => {
        const mine = fleet?.states.filter((e) => e.pid === pid) ?? [];
        const down = mine.find((e) => e.degraded && e.t >= o.from && e.t < o.to);
        const up = down && mine.find((e) => !e.degraded && e.t > down.t);
        return up ? up.t - o.to : NaN;
      });
      const degraded = recoveries.filter((r) => !Number.isNaN(r)).length;
      const recovery = Math.max(...recoveries);
      return { ...o, aggregate, degraded, recovery };
    });
    process.stdout.write(
      `[fleet faults ${flavour}] before ${(before * 100).toFixed(1)} % of cap; ` +
        figures.map((f) => `${f.name}: ${(f.aggregate * 100).toFixed(1)} % of cap during ${((f.to - f.from) / 1000).toFixed(1)} s, ${f.degraded}/3 degraded, all recovered ${f.recovery.toFixed(0)} ms after`).join('; ') +
        `; 3 processes in Redis ${rejoined.toFixed(0)} ms after restart; worst stall ${worst.stall.toFixed(0)} ms beyond pace (process ${worst.server}, ${(worst.at - start).toFixed(0)} ms in)\n`,
    );

    expect(run.downloads.filter((d) => d.ended !== null).map((d) => d.ended)).toEqual([]);
    // The targets (≥ 90 % of the cap, stalls ≤ 250 ms beyond pace, recovery ≤ 2 s) are printed
    // above and measured by bench/fleet.js; the bounds here are wide, so a busy machine cannot
    // fail them. The stall bound tells "fell back at once" from "waited out the outage".
    expect(before).toBeGreaterThan(0.7);
    expect(before).toBeLessThan(1.1);
    for (const f of figures) {
      expect(f.degraded).toBe(3); // each process noticed the outage: the test is not vacuous
      expect(f.aggregate).toBeGreaterThan(0.4);
      expect(f.aggregate).toBeLessThanOrEqual(1.1);
      expect(f.recovery).toBeGreaterThanOrEqual(-50);
      expect(f.recovery).toBeLessThanOrEqual(6000);
    }
    expect(rejoined).toBeGreaterThanOrEqual(0);
    expect(rejoined).toBeLessThanOrEqual(6000);
    expect(worst.stall).toBeLessThan(OUTAGE_MS - 1000);
  }, 60_000);
});
