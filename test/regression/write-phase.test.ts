import { harness } from '../meter/harness';

// Regression: slow flows that start together at one rate used to reach their write size in
// the same tick forever after, so a capped vhost's aggregate came in bursts: 10-100 Mbit/s
// per 250 ms around a 50 Mbit/s cap in the peers benchmark's chart. Their phases are now
// spread (phaseWrite in lib/meter/flow.ts).
function burstiness(windows: number[]): number {
  const mean = windows.reduce((a, b) => a + b, 0) / windows.length;
  return Math.max(...windows) / mean;
}

function windowsOf(h: ReturnType<typeof harness>, flows: Array<{ sent: number }>, windowMs: number, count: number): number[] {
  const out: number[] = [];
  let last = flows.reduce((a, f) => a + f.sent, 0);
  for (let i = 0; i < count; i++) {
    h.run(windowMs);
    const now = flows.reduce((a, f) => a + f.sent, 0);
    out.push(now - last);
    last = now;
  }
  return out;
}

describe('slow flows started together', () => {
  it('under a shared TrafficCap, send a smooth aggregate, not bursts of every session at once', () => {
    const h = harness({ flushMs: 250 });
    // 200 sessions share 1.25 MB/s: 6,250 B/s each, so one 8 KiB write about every 1.3 s.
    const flows = Array.from({ length: 200 }, (_, i) => h.open({ session: `s${i}`, trafficCap: 1_250_000 }));
    h.run(3000);
    const windows = windowsOf(h, flows, 250, 40);
    const total = windows.reduce((a, b) => a + b, 0) / 10;
    expect(total).toBeGreaterThan(1_250_000 * 0.97);
    expect(total).toBeLessThan(1_250_000 * 1.02);
    // In phase, one 250 ms window carried about five windows' worth (ratio ≈ 5).
    expect(burstiness(windows)).toBeLessThan(1.6);
  });

  it('under BT alone, spread their writes too', () => {
    const h = harness({ flushMs: 250 });
    const flows = Array.from({ length: 200 }, (_, i) => h.open({ session: `s${i}`, rate: 8000 }));
    h.run(3000);
    const windows = windowsOf(h, flows, 250, 40);
    expect(burstiness(windows)).toBeLessThan(1.6);
  });
});
