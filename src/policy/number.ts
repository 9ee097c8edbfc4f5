/**
 * Numbers as people (and rule files) should read them: `0.072`, not `0.07200000000000001`.
 * The math keeps twelve significant digits, which hides binary floating-point noise.
 */
export function roundForPeople(x: number): number {
  return remember(rounded, x, () => Number(x.toPrecision(12)));
}

/**
 * Six significant digits in print: thresholds and factors from repeating decimals
 * (28d / 3d) read `0.933333`, not `0.933333333333`. Pass more digits for numbers a spec
 * author wrote out in full, such as an objective of 99.99999%.
 */
export function formatNumber(x: number, significant = 6): string {
  if (significant === 6) return remember(printed, x, () => format(x, significant));
  return format(x, significant);
}

function format(x: number, significant: number): string {
  const r = Number(x.toPrecision(significant));
  // Plain decimals in PromQL and text: `0.0000144`, never `1.44e-5`.
  if (r !== 0 && Math.abs(r) < 1e-6) return r.toFixed(20).replace(/0+$/, '');
  return String(r);
}

/** A ratio as a percentage for people: 0.005 → `0.5%`. */
export function formatPercent(ratio: number): string {
  return `${formatNumber(ratio * 100)}%`;
}

/**
 * Generating 10,000 SLOs formats the same few numbers (objectives, factors, thresholds, rates) millions
 * of times, and toPrecision is slow; a small memo per function keeps that out of the profile.
 */
const rounded = new Map<number, number>();
const printed = new Map<number, string>();

/** A small memo: `compute` once per `x`, at most 10,000 remembered. */
export function remember<T>(memo: Map<number, T>, x: number, compute: () => T): T {
  let value = memo.get(x);
  if (value === undefined) {
    if (memo.size >= 10_000) memo.clear();
    value = compute();
    memo.set(x, value);
  }
  return value;
}
