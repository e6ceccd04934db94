/**
 * Max-min fair, work-conserving split of `capacity` among `demands` (docs/spec.md §5): every demand
 * at or below the fair share is met in full, and what those leave unused is shared equally
 * by the rest ("water-filling"). The sum of the result never exceeds `capacity`.
 *
 * @example
 * ```ts
 * waterFill(100, [10, 80, 80]); // → [10, 45, 45]
 * ```
 */
export function waterFill(capacity: number, demands: readonly number[]): number[] {
  const n = demands.length;
  const out = new Array<number>(n).fill(0);
  if (n === 0 || !(capacity > 0)) return out;
  let total = 0;
  for (const d of demands) total += d > 0 ? d : 0;
  if (total <= capacity) {
    for (let i = 0; i < n; i++) out[i] = Math.max(0, demands[i] ?? 0);
    return out;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (demands[a] ?? 0) - (demands[b] ?? 0));
  let left = capacity;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    const share = left / (n - k);
    const d = Math.max(0, demands[i] ?? 0);
    const g = d < share ? d : share;
    out[i] = g;
    left -= g;
  }
  return out;
}
