import { impossibleErrorRatio, negativeErrorRatio } from '../policy/burn.ts';
import { formatNumber } from '../policy/number.ts';
import { type PrometheusClient, PrometheusError } from '../prometheus/client.ts';
import { formatSelector, ratioOrZero } from '../promql/build.ts';
import { leMatcher } from '../promql/le.ts';
import { matcherMatches, type Selector } from '../promql/parse.ts';
import { errorRate, errorsOnly, impossibleRatioHint, sliSeries, totalRate } from '../sli/index.ts';
import type { SliSeries } from '../sli/kind.ts';
import type { Slo } from '../spec/model.ts';
import { type Absence, absenceText, type LabelIndex, whyAbsent } from './absence.ts';

/**
 * The live check: does each SLI read anything in this Prometheus? For every series an SLI reads it asks
 * whether the series exist now and, when they do not, why (absence.ts); for a latency SLI, which bucket
 * boundaries the histogram really has; for every SLI, whether its error ratio is above 1. `validate
 * --prometheus-url` prints it, and the SLO pages of `serve` show it.
 */

/** `broken`: the SLI reads no data or an impossible ratio. `note`: it works, with something to know. */
export type Verdict = 'ok' | 'note' | 'broken';

export interface Finding {
  /** What was checked: `total`, `errors`, `bucket`, `error ratio`. */
  subject: string;
  verdict: Verdict;
  message: string;
  /** What to do about it. */
  hint?: string;
}

export interface SliCheck {
  service: string;
  slo: string;
  /** The worst of the findings. */
  verdict: Verdict;
  findings: Finding[];
}

export type LiveCheckApi = Pick<PrometheusClient, 'query'> & LabelIndex;

// The error ratio is checked over this window: long enough to hold traffic, short enough to be today's.
const RATIO_WINDOW = '1h';
// Boundaries listed in a report; histograms rarely have more.
const BOUNDARIES_SHOWN = 30;

const WORST: Verdict[] = ['ok', 'note', 'broken'];

function worst(findings: readonly Finding[]): Verdict {
  return findings.reduce<Verdict>(
    (w, f) => (WORST.indexOf(f.verdict) > WORST.indexOf(w) ? f.verdict : w),
    'ok',
  );
}

/** A `bad_data` answer is about the query (the SLI's to fix); every other failure is Prometheus's. */
async function ask<T>(question: () => Promise<T>): Promise<T | { rejected: string }> {
  try {
    return await question();
  } catch (error) {
    if (error instanceof PrometheusError && error.kind === 'bad_data') return { rejected: error.message };
    throw error;
  }
}

function rejected(value: unknown): value is { rejected: string } {
  return typeof value === 'object' && value !== null && 'rejected' in value;
}

/** The samples of an instant query, as numbers by their labels. */
async function samples(api: LiveCheckApi, expr: string) {
  const result = await api.query(expr);
  return result.resultType === 'vector' ? result.result : [];
}

async function count(api: LiveCheckApi, expr: string): Promise<number> {
  return (await samples(api, `count(${expr})`))[0]?.value ?? 0;
}

const seriesCount = (n: number) => `${n} series`;

/**
 * Whether an errors selector that matches nothing may simply be waiting for its first error: a code="500"
 * series appears with the first 500, and until then the rules count 0 errors, rightly. Not when the value
 * no series ever had is one of a label the total selector pins too (`job="chekout"` beside total's
 * `job="checkout"`): errors must pick out some of total's series, so that is a typo.
 */
function notYet(absence: Absence, total: Selector | undefined): boolean {
  if (absence.kind === 'gone' || absence.kind === 'no-combination') return true;
  if (absence.kind !== 'no-value') return false;
  return !total?.matchers.some((m) => m.name === absence.matcher.name);
}

/**
 * One series the SLI reads: present now (how many), or why not. Errors that have not appeared yet are fine;
 * `total` is the SLI's total selector, which an errors selector should narrow.
 */
async function seriesFinding(api: LiveCheckApi, series: SliSeries, total?: Selector): Promise<Finding> {
  const selector = formatSelector(series.selector);
  const subject = series.role === 'good' ? 'bucket' : series.role;
  const now = await count(api, selector);
  if (now > 0) return { subject, verdict: 'ok', message: `${selector}: ${seriesCount(now)} now` };
  const absence = await whyAbsent(api, series.selector);
  const { message, hint } = absenceText(absence, series.selector, series.role === 'errors');
  const waiting = series.role === 'errors' && notYet(absence, total);
  return {
    subject,
    verdict: waiting ? 'note' : 'broken',
    message: waiting
      ? `${selector} ${message}: no error has happened yet, and the rules count 0 until one does`
      : `${selector} ${message}`,
    ...(hint ? { hint } : {}),
  };
}

function boundary(le: string): number {
  return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
}

/** A latency SLI's bucket: the boundaries the histogram has, and whether the threshold is one of them. */
async function bucketFinding(api: LiveCheckApi, series: SliSeries, threshold: string): Promise<Finding> {
  const selector = formatSelector(series.selector);
  const les = (await samples(api, `count by (le) (${selector})`))
    .map((s) => s.metric.le)
    .filter((le): le is string => le !== undefined)
    .sort((a, b) => boundary(a) - boundary(b));
  if (!les.length) return seriesFinding(api, series);
  const shown = les.slice(0, BOUNDARIES_SHOWN).join(', ') + (les.length > BOUNDARIES_SHOWN ? ', …' : '');
  const matcher = leMatcher(threshold);
  const found = les.find((le) => matcherMatches(matcher, le));
  if (found !== undefined) {
    return {
      subject: 'bucket',
      verdict: 'ok',
      message: `le="${found}" is a bucket of ${selector}: ${shown}`,
    };
  }
  const t = Number(threshold);
  const below = les.filter((le) => boundary(le) < t).at(-1);
  const above = les.find((le) => boundary(le) > t && le !== '+Inf');
  const nearest = [
    ...(below ? [`${below} (below: stricter)`] : []),
    ...(above ? [`${above} (above: looser)`] : []),
  ];
  return {
    subject: 'bucket',
    verdict: 'broken',
    message: `${threshold} is no bucket boundary of ${selector}, which has ${shown}: the SLI has no error ratio`,
    hint: `${nearest.length ? `the nearest are ${nearest.join(' and ')}: set threshold to one of them, or` : 'to measure it,'} add a ${threshold} bucket to the histogram in the service`,
  };
}

/** A query SLI: burnbook cannot know its series, so it runs the queries themselves. */
async function queryFindings(api: LiveCheckApi, slo: Slo): Promise<Finding[]> {
  const total = totalRate(slo.sli, '5m', slo.groupBy);
  const errors = errorsOnly(slo.sli, '5m', slo.groupBy);
  const [totals, errs] = [(await samples(api, total)).length, (await samples(api, errors)).length];
  return [
    totals
      ? { subject: 'total', verdict: 'ok', message: `the total query returns ${seriesCount(totals)}` }
      : {
          subject: 'total',
          verdict: 'broken',
          message: 'the total query returns nothing over the last 5m',
          hint: 'run it in Prometheus: a metric or label it reads is gone or renamed, or nothing scrapes it',
        },
    errs
      ? { subject: 'errors', verdict: 'ok', message: `the errors query returns ${seriesCount(errs)}` }
      : {
          subject: 'errors',
          verdict: 'note',
          message:
            'the errors query returns nothing: fine until the first error, the rules count 0 until then',
        },
  ];
}

/**
 * Errors over total over the last hour, the worst group either way: above 1, errors counts events total does
 * not; below 0 (a boolGauge reading 100), fewer than none.
 */
async function ratioFinding(api: LiveCheckApi, slo: Slo): Promise<Finding | undefined> {
  const ratio = ratioOrZero(
    `(${errorRate(slo.sli, RATIO_WINDOW, slo.groupBy)})`,
    totalRate(slo.sli, RATIO_WINDOW, slo.groupBy),
  );
  const [highest] = await samples(api, `max(${ratio})`);
  const [lowest] = highest === undefined ? [] : await samples(api, `min(${ratio})`);
  const found =
    highest !== undefined && impossibleErrorRatio(highest.value)
      ? { value: highest.value, why: 'above 1: errors counts more events than total' }
      : lowest !== undefined && negativeErrorRatio(lowest.value)
        ? { value: lowest.value, why: 'below 0: errors counts fewer than no events' }
        : undefined;
  if (!found) return undefined;
  return {
    subject: 'error ratio',
    verdict: 'broken',
    message: `errors / total over the last ${RATIO_WINDOW} is ${formatNumber(found.value, 4)}, ${found.why}`,
    hint: impossibleRatioHint(slo.sli),
  };
}

/** Each series the SLI reads; an errors selector on the metric of a total that is missing says nothing more. */
async function seriesFindings(api: LiveCheckApi, reads: SliSeries[]): Promise<Finding[]> {
  const total = reads.find((s) => s.role === 'total');
  const totalFinding = total ? await seriesFinding(api, total) : undefined;
  const rest = reads.filter(
    (s) =>
      s !== total &&
      !(
        totalFinding?.verdict === 'broken' &&
        s.role === 'errors' &&
        s.selector.metric === total?.selector.metric
      ),
  );
  const others = await Promise.all(
    rest.map((s) =>
      s.bucket ? bucketFinding(api, s, s.bucket.threshold) : seriesFinding(api, s, total?.selector),
    ),
  );
  return [...(totalFinding ? [totalFinding] : []), ...others];
}

async function findings(api: LiveCheckApi, slo: Slo): Promise<Finding[]> {
  const reads = sliSeries(slo.sli);
  const read = reads ? await seriesFindings(api, reads) : await queryFindings(api, slo);
  if (read.some((f) => f.verdict === 'broken')) return read;
  const ratio = await ratioFinding(api, slo);
  return ratio ? [...read, ratio] : read;
}

/**
 * Checks one SLO's SLI against Prometheus. A query Prometheus rejects is a broken SLI; any other failure
 * (unreachable, timeout, a proxy's error) is thrown as the client's PrometheusError.
 */
export async function checkSli(api: LiveCheckApi, slo: Slo): Promise<SliCheck> {
  const result = await ask(() => findings(api, slo));
  const list: Finding[] = rejected(result)
    ? [
        {
          subject: 'query',
          verdict: 'broken',
          message: `Prometheus rejected a query of the SLI: ${result.rejected}`,
        },
      ]
    : result;
  return { service: slo.service, slo: slo.name, verdict: worst(list), findings: list };
}

/**
 * A client whose label questions are asked once per run: SLIs of one service share metrics, and the
 * list of every metric name (for "did you mean") is long.
 */
export function rememberingLabels(client: LiveCheckApi): LiveCheckApi {
  const answers = new Map<string, Promise<string[]>>();
  const once = (key: string, ask: () => Promise<string[]>) => {
    let answer = answers.get(key);
    if (!answer) {
      answer = ask();
      answers.set(key, answer);
      answer.catch(() => answers.delete(key));
    }
    return answer;
  };
  return {
    query: (expr, time) => client.query(expr, time),
    labelValues: (label, match, since) =>
      once(JSON.stringify(['values', label, match, since?.getTime()]), () =>
        client.labelValues(label, match, since),
      ),
    labelNames: (match) => once(JSON.stringify(['names', match]), () => client.labelNames(match)),
  };
}

/**
 * Every SLO's check, a few at a time, in the order given; `onChecked` hears of each as it finishes (for
 * progress). Rejects with the first failure that is Prometheus's, not an SLI's.
 */
export async function checkSlis(
  client: LiveCheckApi,
  slos: readonly Slo[],
  onChecked: (done: number) => void = () => {},
  concurrency = 4,
): Promise<SliCheck[]> {
  const api = rememberingLabels(client);
  const results: SliCheck[] = new Array(slos.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < slos.length; i = next++) {
      results[i] = await checkSli(api, slos[i] as Slo);
      onChecked(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, slos.length) }, worker));
  return results;
}
