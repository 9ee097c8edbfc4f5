import { errorRatioRecord, RECORDS, windowsOf } from '../conventions/names.ts';
import { periodData, windowTotal } from '../outputs/rules/recording.ts';
import { formatDuration, parseDuration } from '../policy/duration.ts';
import { BASE_WINDOW_MS } from '../policy/windows.ts';
import type { InstantSample } from '../prometheus/client.ts';
import { formatSelector, labelList, ratioOrZero, withLabels } from '../promql/build.ts';
import { errorRate, totalRate } from '../sli/index.ts';
import type { Slo } from '../spec/model.ts';
import type { Source } from './report.ts';

/**
 * Which queries answer an evaluation. Few of them: one per window, each reading that window for every
 * SLO at once from the generated rules' records, and the raw SLI for the SLOs whose records are missing
 * (rules not loaded into this Prometheus). Reading the records wherever they exist keeps `status` and the
 * pages saying what the rules alert on, during a cold start included: the rules decide how a window they
 * have not recorded for long is counted (outputs/rules/recording.ts). Results carry `slo_service`/`slo`
 * (from the rules, or added here for raw SLIs) and a `burnbook_measure` tag, so one query can return
 * ratios, event counts and the budget for many SLOs without its operands colliding.
 */

export const MEASURE_LABEL = 'burnbook_measure';
const WINDOW_LABEL = 'burnbook_window';

/**
 * `ratio` and `events` per window; with the period window, `budget` (budget left) and `data` (seconds of
 * data the budget rests on).
 */
export const MEASURES = ['ratio', 'events', 'budget', 'data'] as const;
export type Measure = (typeof MEASURES)[number];

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
 * window ago: only then do the recordings cover all of W. It reads one sample per series per window,
 * so it stays cheap on a Prometheus with a long history. (The backtest reads the 5m recordings where
 * they reach back over its whole range.)
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

/**
 * How long the SLI has had events, in seconds, at most the period: to the minute within the last hour,
 * beyond that to within a factor of √2 (whether there were events an hour, 1.4 hours, 2 hours… ago).
 * The raw series hold the whole period, so this is all a young SLO's budget needs.
 */
function rawDataAge(slo: Slo): string {
  const total = totalRate(slo.sli, '5m', slo.groupBy);
  // Any SLI's query can be asked about the past as a subquery; `offset` alone takes only a selector.
  const seen = (ms: number) => `max_over_time((${total})[5m:1m] offset ${formatDuration(ms)})`;
  const probes = [withLabels(`count_over_time((${total})[1h:1m]) * 60`, { burnbook_probe: 'recent' })];
  for (let ms = 3_600_000; ms < slo.periodMs; ms = Math.round((ms * Math.SQRT2) / 60_000) * 60_000) {
    probes.push(
      withLabels(`${seen(ms)} * 0 + ${seconds(ms)}`, {
        burnbook_probe: formatDuration(ms),
      }),
    );
  }
  // Events in the period's first 5 minutes are the whole period: its first 5m rate comes 5 minutes in.
  probes.push(
    withLabels(`${seen(slo.periodMs - BASE_WINDOW_MS)} * 0 + ${seconds(slo.periodMs)}`, {
      burnbook_probe: 'period',
    }),
  );
  return `max by ${labelList(slo.groupBy)} (${probes.join(' or ')})`;
}

function rawQuery(windowMs: number, slos: Slo[]): string {
  const w = formatDuration(windowMs);
  return slos
    .flatMap((slo) => {
      const id = { slo_service: slo.service, slo: slo.name };
      const measures = [withLabels(rawErrorRatio(slo, w), { ...id, [MEASURE_LABEL]: 'ratio' })];
      if (needsEvents(slo, windowMs)) {
        const events = `${totalRate(slo.sli, w, slo.groupBy)} * ${seconds(windowMs)}`;
        measures.push(withLabels(events, { ...id, [MEASURE_LABEL]: 'events' }));
      }
      if (windowMs === slo.periodMs)
        measures.push(withLabels(rawDataAge(slo), { ...id, [MEASURE_LABEL]: 'data' }));
      return measures;
    })
    .join(' or ');
}

/**
 * The generated rules' own numbers: the window's ratio record, the minEvents guard's count, and with the
 * period window the budget left and the data behind it.
 */
function rulesQuery(windowMs: number, slos: Slo[]): string {
  const measure = (expr: string, m: Measure) => withLabels(expr, { [MEASURE_LABEL]: m });
  const parts = [measure(recordSelector(errorRatioRecord(windowMs), slos), 'ratio')];
  const counted = slos.filter((s) => needsEvents(s, windowMs));
  if (counted.length)
    parts.push(
      measure(
        windowTotal(windowMs, (r) => recordSelector(r, counted)),
        'events',
      ),
    );
  const ending = slos.filter((s) => s.periodMs === windowMs);
  if (ending.length) {
    parts.push(measure(recordSelector(RECORDS.budgetRemaining, ending), 'budget'));
    parts.push(
      measure(
        periodData(windowMs, (r) => recordSelector(r, ending)),
        'data',
      ),
    );
  }
  return parts.join(' or ');
}

function plannedQuery(windowMs: number, source: Source, slos: Slo[]): PlannedQuery {
  const expr = source === 'rules' ? rulesQuery(windowMs, slos) : rawQuery(windowMs, slos);
  return { expr, windowMs, source, slos };
}

/** One query per window, for every SLO that measures it, from the rules' records. */
export function planQueries(slos: Slo[]): PlannedQuery[] {
  const windows = [...new Set(slos.flatMap(windowsOf))].sort((a, b) => a - b);
  return windows.map((w) =>
    plannedQuery(
      w,
      'rules',
      slos.filter((s) => windowsOf(s).includes(w)),
    ),
  );
}

/**
 * Raw queries for SLOs without a window's ratio record: rules not loaded into this Prometheus (or
 * generated from an older spec), or no recordings yet. Right answers beat a missing number.
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
