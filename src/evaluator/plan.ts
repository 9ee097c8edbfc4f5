import { errorRatioRecord, RECORDS, windowsOf } from '../conventions/names.ts';
import { formatDuration, parseDuration } from '../policy/duration.ts';
import type { InstantSample } from '../prometheus/client.ts';
import { formatSelector, ratioOrZero, withLabels } from '../promql/build.ts';
import { errorRate, totalRate } from '../sli/index.ts';
import type { Slo } from '../spec/model.ts';
import type { Source } from './report.ts';

/**
 * Which queries answer an evaluation. Few of them: one per window per source, each reading that
 * window for every SLO at once, plus one cheap probe that decides the source. Results carry
 * `slo_service`/`slo` (from the rules, or added here for raw SLIs) and a `burnbook_measure` tag,
 * so one query can return ratios and event counts for many SLOs without its operands colliding.
 */

export const MEASURE_LABEL = 'burnbook_measure';
const WINDOW_LABEL = 'burnbook_window';

export type Measure = 'ratio' | 'events';

export interface PlannedQuery {
  expr: string;
  windowMs: number;
  source: Source;
  slos: Slo[];
}

export function sloKey(service: string, name: string): string {
  return `${service}/${name}`;
}

export function keyOf(slo: Slo): string {
  return sloKey(slo.service, slo.name);
}

function alternatives(values: string[]): string {
  return [...new Set(values)].map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/**
 * A recorded metric for the given SLOs. The regex pair may select other SLOs too (a service's
 * SLO named like another's); samples are matched to SLOs by both labels afterwards.
 */
export function recordSelector(metric: string, slos: Slo[]): string {
  return formatSelector({
    metric,
    matchers: [
      { name: 'slo_service', op: '=~', value: alternatives(slos.map((s) => s.service)) },
      { name: 'slo', op: '=~', value: alternatives(slos.map((s) => s.name)) },
    ],
  });
}

/**
 * One query telling, for each window, which SLOs have burnbook's 5m recordings both now and one
 * window ago: only then does `slo:sli_error:ratio_rate<W>` cover all of W. It reads one sample
 * per series per window, so it stays cheap on a Prometheus with a long history.
 */
export function coverageProbe(slos: Slo[], windowsMs: number[]): string {
  const total = recordSelector(RECORDS.total, slos);
  const now = `count by (slo_service, slo) (${total})`;
  return [...new Set(windowsMs)]
    .map((w) => {
      const then = `count by (slo_service, slo) (${total} offset ${formatDuration(w)})`;
      return withLabels(`${then} and ${now}`, { [WINDOW_LABEL]: formatDuration(w) });
    })
    .join(' or ');
}

/** The windows each SLO's recordings cover, by sloKey, from the probe's answer. */
export function coverageFrom(samples: InstantSample[]): Map<string, Set<number>> {
  const covered = new Map<string, Set<number>>();
  for (const { metric } of samples) {
    const windowMs = parseDuration(metric[WINDOW_LABEL] ?? '');
    if (windowMs === undefined || metric.slo_service === undefined || metric.slo === undefined) continue;
    const key = sloKey(metric.slo_service, metric.slo);
    covered.set(key, (covered.get(key) ?? new Set()).add(windowMs));
  }
  return covered;
}

/** Whether a tier of this SLO uses `windowMs` as its long window and so needs its event count. */
function needsEvents(slo: Slo, windowMs: number): boolean {
  return slo.minEvents !== undefined && slo.alerting.tiers.some((t) => t.longMs === windowMs);
}

function seconds(windowMs: number): number {
  return windowMs / 1000;
}

/**
 * Error ratio straight from the SLI, weighted by events like the recording rules, and 0 rather
 * than NaN when there was no traffic, as the rules make it.
 */
function rawErrorRatio(slo: Slo, window: string): string {
  const total = totalRate(slo.sli, window, slo.groupBy);
  return ratioOrZero(`(${errorRate(slo.sli, window, slo.groupBy)})`, total);
}

function rawQuery(windowMs: number, slos: Slo[]): string {
  const w = formatDuration(windowMs);
  return slos
    .flatMap((slo) => {
      const id = { slo_service: slo.service, slo: slo.name };
      const ratio = withLabels(rawErrorRatio(slo, w), { ...id, [MEASURE_LABEL]: 'ratio' });
      if (!needsEvents(slo, windowMs)) return [ratio];
      const events = `${totalRate(slo.sli, w, slo.groupBy)} * ${seconds(windowMs)}`;
      return [ratio, withLabels(events, { ...id, [MEASURE_LABEL]: 'events' })];
    })
    .join(' or ');
}

/** The generated rules' own numbers: the window's ratio record, and the minEvents guard's count. */
function rulesQuery(windowMs: number, slos: Slo[]): string {
  const ratio = withLabels(recordSelector(errorRatioRecord(windowMs), slos), { [MEASURE_LABEL]: 'ratio' });
  const counted = slos.filter((s) => needsEvents(s, windowMs));
  if (!counted.length) return ratio;
  const range = `${recordSelector(RECORDS.total, counted)}[${formatDuration(windowMs)}]`;
  const events = `avg_over_time(${range}) * ${seconds(windowMs)}`;
  return `${ratio} or ${withLabels(events, { [MEASURE_LABEL]: 'events' })}`;
}

function plannedQuery(windowMs: number, source: Source, slos: Slo[]): PlannedQuery {
  const expr = source === 'rules' ? rulesQuery(windowMs, slos) : rawQuery(windowMs, slos);
  return { expr, windowMs, source, slos };
}

/** One query per window per source, rules wherever their history covers the window. */
export function planQueries(slos: Slo[], covered: Map<string, Set<number>>): PlannedQuery[] {
  const windows = [...new Set(slos.flatMap(windowsOf))].sort((a, b) => a - b);
  return windows.flatMap((w) => {
    const using = slos.filter((s) => windowsOf(s).includes(w));
    const rules = using.filter((s) => covered.get(keyOf(s))?.has(w));
    const raw = using.filter((s) => !rules.includes(s));
    return [
      ...(rules.length ? [plannedQuery(w, 'rules', rules)] : []),
      ...(raw.length ? [plannedQuery(w, 'raw', raw)] : []),
    ];
  });
}

/**
 * Raw queries for SLOs whose recordings exist but lack a window's ratio record: rules generated
 * from an older spec, or a group Prometheus has not loaded. Right answers beat a missing number.
 */
export function planFallback(
  answered: Array<{ query: PlannedQuery; samples: Array<Pick<InstantSample, 'metric'>> }>,
): PlannedQuery[] {
  return answered.flatMap(({ query, samples }) => {
    if (query.source !== 'rules') return [];
    const seen = new Set(
      samples
        .filter((s) => s.metric[MEASURE_LABEL] === 'ratio')
        .map((s) => sloKey(s.metric.slo_service ?? '', s.metric.slo ?? '')),
    );
    const missing = query.slos.filter((s) => !seen.has(keyOf(s)));
    return missing.length ? [plannedQuery(query.windowMs, 'raw', missing)] : [];
  });
}
