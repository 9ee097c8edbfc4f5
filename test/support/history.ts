/**
 * History a test fully knows, for `startPrometheus({ backfillOpenMetrics })`: counters that may
 * reset (a restarted process) and gauges (recording rules' output, as if the rules had always run).
 * Expected numbers in a test come from the same increments, never from burnbook's output.
 */
import { RECORDS } from '../../src/conventions/names.ts';
import { formatDuration } from '../../src/policy/duration.ts';

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

/** Requests counted by `code`: 200s (all less errors) and 500s, unless the errors series is left out. */
export function requestCounters(
  timeline: Timeline,
  metric: string,
  group: { labels: Record<string, string>; errors: (t: number) => number; total: (t: number) => number },
  options: { resets?: number[]; errorSeries?: boolean } = {},
): SeriesHistory[] {
  const series = (code: string, increment: (t: number) => number): SeriesHistory => ({
    name: metric,
    labels: { ...group.labels, code },
    points: counter(timeline, increment, options.resets),
  });
  const ok = series('200', (t) => group.total(t) - group.errors(t));
  return options.errorSeries === false ? [ok] : [ok, series('500', group.errors)];
}

/**
 * burnbook's recording rules for one SLO (`identity`: its slo_service and slo labels) as if they had
 * run since `since`: the 5m total rate and the error ratio of each window in `windowsMs`, constant; and
 * the two start records they keep, for rules loaded at `since` on a service with a 30-day period's history.
 */
export function recordings(
  timeline: Timeline,
  identity: Record<string, string>,
  since: number,
  values: { ratio: number; totalRate: number; windowsMs: number[] },
): SeriesHistory[] {
  const from = (value: number) => (t: number) => (t >= since ? value : undefined);
  const started = since / 1000;
  return [
    { name: 'slo:sli_total:rate5m', labels: identity, points: gauge(timeline, from(values.totalRate)) },
    { name: 'slo:recordings_start:timestamp', labels: identity, points: gauge(timeline, from(started)) },
    {
      name: 'slo:traffic_start:timestamp',
      labels: identity,
      points: gauge(timeline, from(started - (30 * DAY) / 1000)),
    },
    ...values.windowsMs.map((w) => ({
      name: `slo:sli_error:ratio_rate${formatDuration(w)}`,
      labels: identity,
      points: gauge(timeline, from(values.ratio)),
    })),
  ];
}

/**
 * The records every window of burnbook's rules is built from, for one group (`labels`: the rules' labels
 * plus the group's), as if the rules had run since `since` on a service whose events began then: the 5m
 * error and total rates (per second) at each step, and the two latched start records, both `since`.
 * With these backfilled, freshly loaded rules read the history's windows as they are, not as the
 * "healthy before burnbook" the cold start assumes. The rates come from the test's own increments.
 */
export function baseRecordings(
  timeline: Timeline,
  labels: Record<string, string>,
  since: number,
  rates: (t: number) => { errors: number; total: number },
): SeriesHistory[] {
  const from = (value: (t: number) => number) => (t: number) => (t >= since ? value(t) : undefined);
  return [
    {
      name: RECORDS.errors,
      labels,
      points: gauge(
        timeline,
        from((t) => rates(t).errors),
      ),
    },
    {
      name: RECORDS.total,
      labels,
      points: gauge(
        timeline,
        from((t) => rates(t).total),
      ),
    },
    ...[RECORDS.recordingsStart, RECORDS.trafficStart].map((name) => ({
      name,
      labels,
      points: gauge(
        timeline,
        from(() => since / 1000),
      ),
    })),
  ];
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
