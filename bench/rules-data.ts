/**
 * Thirty days of request counters for the rule benchmark, deterministic (a hash, not a random generator, so
 * any sample can be recomputed), plus burnbook's two 5m recordings computed from the very same counters.
 *
 * Per SLO: `http_requests_total{job, instance, route, code}` with codes 200, 404, 500 and 503; a daily
 * traffic cycle; errors at a tenth of the budget, except where a scenario puts an incident.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export type Scenario = 'fast' | 'slow' | 'very-slow' | 'past' | 'healthy';
const SCENARIOS: Scenario[] = ['fast', 'slow', 'very-slow', 'past', 'healthy'];
const OBJECTIVES = [99.9, 99.5, 99, 99.95];
const CODES = ['200', '404', '500', '503'] as const;
const HOUR = 3600;
const DAY = 24 * HOUR;
const RATE_WINDOW = 300;

/**
 * Which default tiers each scenario should fire, with margins wide enough (×30 against a 14.4 threshold,
 * ×8 against 6, ×2 against 1) that the daily cycle cannot tip a window across its threshold.
 */
export const EXPECTED_TIERS: Record<Scenario, string[]> = {
  fast: ['fast', 'slow', 'very-slow'],
  slow: ['slow', 'very-slow'],
  'very-slow': ['very-slow'],
  past: [],
  healthy: [],
};

export interface BenchSlo {
  index: number;
  service: string;
  objective: number;
  scenario: Scenario;
  /** Labels burnbook puts on its recordings; filled in once the rules are generated. */
  recordLabels: Record<string, string>;
}

export interface Workload {
  slos: number;
  seriesPerSlo: number;
  stepSeconds: number;
  days: number;
  intervalSeconds: number;
}

export function benchSlos(workload: Workload): BenchSlo[] {
  return Array.from({ length: workload.slos }, (_, index) => ({
    index,
    service: `svc${String(index + 1).padStart(2, '0')}`,
    objective: OBJECTIVES[index % OBJECTIVES.length] as number,
    scenario: SCENARIOS[index % SCENARIOS.length] as Scenario,
    recordLabels: {},
  }));
}

export function specYaml(slo: BenchSlo, stepSeconds: number): string {
  return [
    'apiVersion: burnbook/v1',
    `service: ${slo.service}`,
    'labels: {team: bench}',
    `scrapeInterval: ${stepSeconds}s`,
    'slos:',
    '  - name: availability',
    `    objective: ${slo.objective}`,
    '    sli:',
    '      ratio:',
    `        errors: 'http_requests_total{job="${slo.service}",code=~"5.."}'`,
    `        total: 'http_requests_total{job="${slo.service}"}'`,
    '',
  ].join('\n');
}

/** A uniform number in [0, 1) from two integers: the same sample always gets the same noise. */
function unit(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** The error ratio over time: a tenth of the budget, and `factor` times the budget from `from` to `to`. */
interface ErrorProfile {
  base: number;
  high: number;
  from: number;
  to: number;
}

function errorProfile(slo: BenchSlo, now: number): ErrorProfile {
  const budget = 1 - slo.objective / 100;
  const incident = (ago: number, lasting: number, factor: number) => ({
    base: 0.1 * budget,
    high: factor * budget,
    from: now - ago,
    to: now - ago + lasting,
  });
  switch (slo.scenario) {
    // Ongoing incidents go on after `now`, so the live exporter keeps them burning.
    case 'fast':
      return incident(4 * HOUR, Infinity, 30);
    case 'slow':
      return incident(12 * HOUR, Infinity, 8);
    case 'very-slow':
      return incident(4 * DAY, Infinity, 2);
    case 'past':
      return incident(10 * DAY, 2 * HOUR, 30);
    default:
      return incident(0, 0, 0);
  }
}

interface Series {
  id: number;
  /** `http_requests_total{...} `: the line up to the value. */
  prefix: string;
  code: (typeof CODES)[number];
  requestsPerSecond: number;
  value: number;
}

/**
 * The counters of all SLOs, advanced one step at a time. Each series keeps its current value, so the
 * backfill, the gap after it and the live exporter continue one another exactly.
 */
export class Counters {
  readonly series: Series[][];
  readonly stepSeconds: number;
  /** Unix seconds of the first sample (every counter is 0 there). */
  readonly origin: number;
  /** Unix seconds of the last step the sums below can hold. */
  readonly horizon: number;
  private readonly profiles: ErrorProfile[];
  /** Traffic factor of the daily cycle at each step, shared by all series. */
  private readonly diurnal: Float64Array;
  /** Per SLO, the summed error and total counters at each step since `origin`, for the 5m recordings. */
  private readonly errorSums: Float64Array[];
  private readonly totalSums: Float64Array[];

  constructor(
    readonly slos: BenchSlo[],
    readonly workload: Workload,
    /** The end of history: incidents are placed relative to it and go on after it. */
    readonly now: number,
    /** How far past `now` the backfill may go, for the gap between it and the live exporter. */
    extraSeconds: number,
  ) {
    const { stepSeconds, days, seriesPerSlo } = workload;
    this.stepSeconds = stepSeconds;
    // An hour before the period, so the first 30d window already sees full 5m rates.
    this.origin = now - days * DAY - HOUR;
    this.horizon = now + extraSeconds;
    const steps = (this.horizon - this.origin) / stepSeconds + 1;
    this.diurnal = Float64Array.from({ length: steps }, (_, k) =>
      this.traffic(this.origin + k * stepSeconds),
    );
    this.profiles = slos.map((slo) => errorProfile(slo, now));
    this.errorSums = slos.map(() => new Float64Array(steps));
    this.totalSums = slos.map(() => new Float64Array(steps));
    this.series = slos.map((slo) =>
      Array.from({ length: seriesPerSlo }, (_, i) => {
        const code = CODES[i % CODES.length] as (typeof CODES)[number];
        const pair = Math.floor(i / CODES.length);
        const labels = `job="${slo.service}",instance="${slo.service}-${Math.floor(pair / 5)}",route="/api/r${pair % 5}",code="${code}"`;
        return {
          id: slo.index * seriesPerSlo + i,
          prefix: `http_requests_total{${labels}} `,
          code,
          // 0.2 to 2 requests per second per (instance, route), split by code below.
          requestsPerSecond: 0.2 + 1.8 * unit(slo.index, pair),
          value: 0,
        };
      }),
    );
  }

  private traffic(t: number): number {
    return (1 + 0.2 * Math.sin((2 * Math.PI * t) / DAY)) * this.stepSeconds;
  }

  private increment(sloIndex: number, s: Series, t: number, traffic: number): number {
    const p = this.profiles[sloIndex] as ErrorProfile;
    const e = t > p.from && t <= p.to ? p.high : p.base;
    const share =
      s.code === '200' ? 0.97 - e : s.code === '404' ? 0.03 : s.code === '500' ? 0.7 * e : 0.3 * e;
    // Stochastic rounding: whole requests, and the expected count stays exact.
    return Math.floor(s.requestsPerSecond * traffic * share + unit(s.id, t));
  }

  /**
   * Advances the SLO's series from `from` (exclusive) to `until` and, given `write`, writes their samples
   * as OpenMetrics lines, series by series as the format wants. Returns the number of samples.
   */
  advance(sloIndex: number, from: number, until: number, write?: (chunk: string) => void): number {
    if (until > this.horizon)
      throw new Error(`cannot backfill past ${new Date(this.horizon * 1000).toISOString()}`);
    const errors = this.errorSums[sloIndex] as Float64Array;
    const totals = this.totalSums[sloIndex] as Float64Array;
    const step = this.stepSeconds;
    let samples = 0;
    for (const s of this.series[sloIndex] as Series[]) {
      const isError = s.code === '500' || s.code === '503';
      let value = s.value;
      let chunk = '';
      for (let t = from + step; t <= until; t += step) {
        const k = (t - this.origin) / step;
        value += this.increment(sloIndex, s, t, this.diurnal[k] as number);
        totals[k] = (totals[k] as number) + value;
        if (isError) errors[k] = (errors[k] as number) + value;
        if (write) {
          chunk += `${s.prefix}${value} ${t}\n`;
          if (chunk.length > 1 << 20) {
            write(chunk);
            chunk = '';
          }
        }
        samples++;
      }
      if (write && chunk) write(chunk);
      s.value = value;
    }
    return samples;
  }

  /**
   * `slo:sli_errors:rate5m` and `slo:sli_total:rate5m` at every evaluation after `from`, as Prometheus
   * computes them from samples on the step grid: both ends of [t-5m, t] are samples, so rate() needs no
   * extrapolation and is exactly the increase over 300 s.
   */
  recordings(sloIndex: number, from: number, until: number): { errors: string[]; total: string[] } {
    const slo = this.slos[sloIndex] as BenchSlo;
    const interval = this.workload.intervalSeconds;
    const labels = Object.entries(slo.recordLabels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    const e = this.errorSums[sloIndex] as Float64Array;
    const n = this.totalSums[sloIndex] as Float64Array;
    const back = RATE_WINDOW / this.stepSeconds;
    const errors: string[] = [];
    const total: string[] = [];
    const first = Math.max(from + 1, this.origin + RATE_WINDOW);
    for (let t = Math.ceil(first / interval) * interval; t <= until; t += interval) {
      const k = (t - this.origin) / this.stepSeconds;
      const rate = (sums: Float64Array) => ((sums[k] as number) - (sums[k - back] as number)) / RATE_WINDOW;
      errors.push(`slo:sli_errors:rate5m{${labels}} ${rate(e)} ${t}`);
      total.push(`slo:sli_total:rate5m{${labels}} ${rate(n)} ${t}`);
    }
    return { errors, total };
  }

  /**
   * Every counter as of `time`, in Prometheus's text format, for the live exporter. No timestamps: a sample
   * stamped with its step could arrive after a rule evaluation that should have seen it, and the two rule
   * sets, evaluated at different moments, would then see different data.
   */
  exposition(time: number, lastStep: number): { text: string; step: number } {
    const target = Math.floor(time / this.stepSeconds) * this.stepSeconds;
    for (let t = lastStep + this.stepSeconds; t <= target; t += this.stepSeconds) {
      const traffic = this.traffic(t);
      this.series.forEach((group, i) => {
        for (const s of group) s.value += this.increment(i, s, t, traffic);
      });
    }
    const lines = ['# TYPE http_requests_total counter'];
    for (const group of this.series) for (const s of group) lines.push(`${s.prefix}${s.value}`);
    return { text: `${lines.join('\n')}\n`, step: Math.max(target, lastStep) };
  }
}

/**
 * One OpenMetrics file for `promtool tsdb create-blocks-from openmetrics`: the raw counters of the given
 * SLOs after `from` up to `until`, and burnbook's recordings over the same span. Returns the sample count.
 */
export function writeOpenMetrics(
  path: string,
  counters: Counters,
  sloIndexes: number[],
  from: number,
  until: number,
): number {
  const fd = openSync(path, 'w');
  const write = (chunk: string) => {
    writeSync(fd, chunk);
  };
  let samples = 0;
  try {
    write('# TYPE http_requests counter\n');
    for (const i of sloIndexes) samples += counters.advance(i, from, until, write);
    const recorded = sloIndexes.map((i) => counters.recordings(i, from, until));
    // OpenMetrics wants each family's samples together.
    for (const family of ['errors', 'total'] as const) {
      write(`# TYPE slo:sli_${family}:rate5m gauge\n`);
      for (const r of recorded) {
        for (let i = 0; i < r[family].length; i += 10_000)
          write(`${r[family].slice(i, i + 10_000).join('\n')}\n`);
        samples += r[family].length;
      }
    }
    write('# EOF\n');
  } finally {
    closeSync(fd);
  }
  return samples;
}
