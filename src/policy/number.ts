/**
 * Numbers as people (and rule files) should read them: `0.072`, not
 * `0.07200000000000001`. Twelve significant digits hide binary floating-point noise
 * while keeping every digit a spec author could have meant.
 */
export function roundForPeople(x: number): number {
  return Number(x.toPrecision(12));
}

export function formatNumber(x: number): string {
  const r = roundForPeople(x);
  // Plain decimals in PromQL and text: `0.0000144`, never `1.44e-5`.
  if (r !== 0 && Math.abs(r) < 1e-6) return r.toFixed(20).replace(/0+$/, '');
  return String(r);
}

/** A ratio as a percentage for people: 0.005 → `0.5%`. */
export function formatPercent(ratio: number): string {
  return `${formatNumber(ratio * 100)}%`;
}
