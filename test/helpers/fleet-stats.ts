/** Pure measures over what clients received: `[time ms, bytes]` chunks. */
export type Chunks = ReadonlyArray<readonly [number, number]>;

/** Bytes received in `[from, to)`. */
export function bytesIn(chunks: Chunks, from: number, to: number): number {
  let sum = 0;
  for (const [t, b] of chunks) if (t >= from && t < to) sum += b;
  return sum;
}

/**
 * Bytes received in `[from, to)`, each chunk's bytes spread evenly over the gap since the chunk
 * before (the time they were paced over). Writes of many sessions fall in step (a metered flow
 * writes every 250–500 ms), so counting chunks at their arrival makes a short window swing by
 * a whole write period; spreading them measures the rate the window actually had.
 */
export function spreadBytesIn(chunks: Chunks, from: number, to: number): number {
  let sum = 0;
  for (let i = 0; i < chunks.length; i++) {
    const [t, b] = chunks[i] as readonly [number, number];
    const prev = i === 0 ? t : (chunks[i - 1] as readonly [number, number])[0];
    if (t === prev) {
      if (t >= from && t < to) sum += b;
    } else sum += (b * Math.max(0, Math.min(t, to) - Math.max(prev, from))) / (t - prev);
  }
  return sum;
}

/** Jain's fairness index: (Σx)² / (n · Σx²); 1 when all are equal, 1/n when one has all. */
export function jain(xs: readonly number[]): number {
  const sum = xs.reduce((a, x) => a + x, 0);
  const sq = xs.reduce((a, x) => a + x * x, 0);
  return sq === 0 ? 1 : (sum * sum) / (xs.length * sq);
}

/**
 * The worst stall of one response within `[from, to)`: for each chunk, the gap since the one
 * before minus the time its bytes take at the expected pace (`paceBytesPerSecond(t)`, at the
 * chunk's arrival). A response sent at its pace, in chunks of any size, scores about 0.
 */
export function worstStall(chunks: Chunks, from: number, to: number, paceBytesPerSecond: (t: number) => number): { stall: number; at: number } {
  let worst = { stall: 0, at: NaN };
  for (let i = 1; i < chunks.length; i++) {
    const [t, b] = chunks[i] as readonly [number, number];
    if (t < from || t >= to) continue;
    const prev = (chunks[i - 1] as readonly [number, number])[0];
    const stall = t - prev - (b / paceBytesPerSecond(t)) * 1000;
    if (stall > worst.stall) worst = { stall, at: t };
  }
  return worst;
}
