/**
 * OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: history a test can reason about
 * exactly, because it knows every sample it wrote.
 */

export interface CounterSeries {
  /**
   * The sample name PromQL sees; OpenMetrics counters end in `_total`. A histogram's `_bucket` (with an `le`
   * label) and `_count` series count up too, and are written as that histogram's family.
   */
  name: string;
  labels?: Record<string, string>;
  /**
   * How much the counter grows in the step that ends at `timestampMs` (never negative). The counter is 0 at
   * the range's start, so its value at any time is the sum of the increments up to then.
   */
  increment: (timestampMs: number) => number;
}

export interface SampleRange {
  start: Date;
  /** Inclusive when it falls on a step. */
  end: Date;
  stepSeconds: number;
}

/**
 * OpenMetrics text with one sample per step per counter, ending in `# EOF`. Lines are collected in an array
 * and joined once: 30 days at 60 s steps is 43,200 short lines (about 3 MB) per series.
 */
export function countersToOpenMetrics(counters: CounterSeries[], range: SampleRange): string {
  const stepMs = range.stepSeconds * 1000;
  if (!(stepMs > 0)) throw new Error(`stepSeconds must be positive, got ${range.stepSeconds}`);
  const start = range.start.getTime();
  const end = range.end.getTime();

  // OpenMetrics wants each metric family's samples together, under a single TYPE line.
  const families = new Map<string, CounterSeries[]>();
  for (const counter of counters) {
    const family = familyOf(counter.name);
    families.set(family, [...(families.get(family) ?? []), counter]);
  }
  const lines: string[] = [];
  for (const [family, members] of families) {
    lines.push(`# TYPE ${family}`);
    for (const counter of members) {
      const series = `${counter.name}${formatLabels(counter.labels ?? {})}`;
      let value = 0;
      for (let t = start; t <= end; t += stepMs) {
        if (t > start) {
          const increment = counter.increment(t);
          if (!(increment >= 0 && Number.isFinite(increment))) {
            throw new Error(`${series}: increment at ${new Date(t).toISOString()} is ${increment}`);
          }
          value += increment;
        }
        // OpenMetrics timestamps are seconds.
        lines.push(`${series} ${value} ${t / 1000}`);
      }
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** The family's name and type, as its TYPE line gives them: `http_requests counter`. */
function familyOf(name: string): string {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(_total|_bucket|_count)$/.exec(name);
  if (!match) {
    throw new Error(
      `counter name must be a metric name ending in _total, _bucket or _count, got ${JSON.stringify(name)}`,
    );
  }
  return `${match[1]} ${match[2] === '_total' ? 'counter' : 'histogram'}`;
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabelValue(value)}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
