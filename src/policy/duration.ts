/** Prometheus durations (`5m`, `1h30m`, `30d`) as milliseconds, and back. */

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
type Unit = keyof typeof UNIT_MS;

const DURATION = /^(?:\d+(?:ms|[smhdwy]))+$/;
const PART = /(\d+)(ms|[smhdwy])/g;

/**
 * The longest duration Prometheus holds: nanoseconds in an int64 (about 292 years). Longer ones are
 * refused by Prometheus and promtool ("duration out of range").
 */
export const PROMETHEUS_MAX_DURATION_MS = Math.floor((2 ** 63 - 1) / 1e6);

/** Milliseconds for a Prometheus duration string (`0s` is 0), or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(PART)) ms += Number(n) * UNIT_MS[unit as Unit];
  return ms;
}

// Days at most: `28d` reads better than `4w` in rule names and pages.
const FORMAT_UNITS: [string, number][] = [
  ['d', UNIT_MS.d],
  ['h', UNIT_MS.h],
  ['m', UNIT_MS.m],
  ['s', UNIT_MS.s],
  ['ms', UNIT_MS.ms],
];

/** The canonical Prometheus form of a duration: `30d`, `1h30m`, `5m`. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of FORMAT_UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out || '0s';
}

/** A duration for people: `50h`, `3.6h`, `216min`... short, at most one decimal. */
export function humanDuration(ms: number): string {
  const minutes = ms / UNIT_MS.m;
  if (minutes < 1) return `${round1(ms / UNIT_MS.s)} s`;
  if (minutes < 600) return `${round1(minutes)} min`;
  const hours = ms / UNIT_MS.h;
  if (hours < 72) return `${round1(hours)} h`;
  return `${round1(ms / UNIT_MS.d)} days`;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
