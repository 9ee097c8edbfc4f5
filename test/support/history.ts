/**
 * History a test fully knows, for `startPrometheus({ backfillOpenMetrics })`: counters that may
 * reset (a restarted process) and gauges (recording rules' output, as if the rules had always run).
 * Expected numbers in a test come from the same increments, never from burnbook's output.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface Timeline {
  start: number;
  /** Inclusive. */
  end: number;
  stepMs: number;
}

export interface SeriesHistory {
  name: string;
  labels?: Record<string, string>;
  points: Array<[timestampMs: number, value: number]>;
}

export function stepsOf({ start, end, stepMs }: Timeline): number[] {
  const steps: number[] = [];
  for (let t = start; t <= end; t += stepMs) steps.push(t);
  return steps;
}

/**
 * A counter that grows by `increment(t)` in the step ending at t and starts again from 0 at each
 * reset: the value there is that step's increment alone, so Prometheus's reset handling loses nothing.
 */
export function counter(
  timeline: Timeline,
  increment: (t: number) => number,
  resets: number[] = [],
): SeriesHistory['points'] {
  let value = 0;
  return stepsOf(timeline).map((t, i) => {
    if (resets.includes(t)) value = 0;
    if (i > 0) value += increment(t);
    return [t, value];
  });
}

export function gauge(timeline: Timeline, value: (t: number) => number | undefined): SeriesHistory['points'] {
  return stepsOf(timeline).flatMap((t): Array<[number, number]> => {
    const v = value(t);
    return v === undefined ? [] : [[t, v]];
  });
}

/**
 * The error ratio Prometheus 2.x computes for rate(errors[W]) / rate(total[W]) at `at`: its range
 * selector is closed, so both rates see the increments of the steps ending in (at − W, at].
 * No traffic reads 0, as burnbook's rules make it.
 */
export function expectedRatio(
  timeline: Timeline,
  errors: (t: number) => number,
  total: (t: number) => number,
  at: number,
  windowMs: number,
): number {
  let e = 0;
  let n = 0;
  for (const t of stepsOf(timeline)) {
    if (t <= at - windowMs || t > at || t === timeline.start) continue;
    e += errors(t);
    n += total(t);
  }
  return n === 0 ? 0 : e / n;
}

/** OpenMetrics text with every family typed gauge: promtool stores samples as given, resets included. */
export function historyToOpenMetrics(series: SeriesHistory[]): string {
  const families = new Map<string, SeriesHistory[]>();
  for (const s of series) families.set(s.name, [...(families.get(s.name) ?? []), s]);
  const lines: string[] = [];
  for (const [name, members] of families) {
    lines.push(`# TYPE ${name} gauge`);
    for (const s of members) {
      const labels = Object.entries(s.labels ?? {})
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',');
      const id = labels ? `${name}{${labels}}` : name;
      for (const [t, v] of s.points) lines.push(`${id} ${v} ${t / 1000}`);
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}
