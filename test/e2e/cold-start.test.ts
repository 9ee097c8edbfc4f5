import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertName } from '../../src/conventions/names.ts';
import { evaluateNow } from '../../src/evaluator/run.ts';
import { threshold } from '../../src/policy/burn.ts';
import { formatDuration } from '../../src/policy/duration.ts';
import { formatNumber } from '../../src/policy/number.ts';
import type { Tier } from '../../src/policy/tiers.ts';
import { createPrometheusClient } from '../../src/prometheus/client.ts';
import type { Slo } from '../../src/spec/model.ts';
import { type RunningExporter, startExporter } from '../support/exporter.ts';
import { DAY, historyToOpenMetrics, MINUTE, stepsOf } from '../support/history.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom, writeRules } from '../support/promtool-scenario.ts';
import { until } from '../support/wait.ts';

/**
 * New rules on a service with history (issue 14, part 3). Four days of healthy requests are backfilled,
 * then Prometheus starts with the generated rules and a live exporter continues the counters: the rules'
 * own 5m recordings begin now, the raw series go back days. A 20-second blip of 1% errors, then a 5% burn.
 * Each tier must pend when the same math on the raw series says (sum(rate(errors[W])) / sum(rate(total[W]))
 * over both windows), within an evaluation or so, and never before; and burnbook's evaluator, reading the
 * same Prometheus, must say the same. Before, the long windows held only the minutes since the rules were
 * loaded: the blip made the slow and very-slow tiers pend at once, and the burn paged the slow tier in
 * minutes instead of the Workbook's hour and more.
 *
 * 99.999% keeps the test short: the Workbook's detection times of a 5% burn are 10 s (fast), 26 s (slow)
 * and 52 s (very-slow); the blip stays under every threshold. The test watches tiers pend, not `for`.
 */

const SPEC = `
apiVersion: burnbook/v1
service: cold
slos:
  - name: checkout
    objective: 99.999
    sli: {ratio: {errors: 'cold_requests_total{code="500"}', total: cold_requests_total}}
`;
const [slo] = slosFrom(SPEC) as [Slo];
const { ruleFile } = writeRules([slo]);

// 1000 requests a minute, as the exporter goes on serving them.
const PER_SECOND = 1000 / 60;
/**
 * The backfilled history's sample times, as a Prometheus that scraped all along would hold them: the last
 * 10 minutes every second like the live scrape, so no 5m rate mixes scrape intervals (rate() extrapolates a
 * window's edges by the average interval: 15 s samples beside 1 s ones read ~2.5% low), every 15 s before.
 * The last sample is taken as late as possible: a 5m rate whose window starts in the gap before the first
 * live scrape reads low too, and a Prometheus that has scraped all along has no such gap when rules arrive.
 */
function sampleTimes(end: number): number[] {
  const fine = end - 10 * MINUTE;
  return [
    ...stepsOf({ start: end - 4 * DAY, end: fine - 15_000, stepMs: 15_000 }),
    ...stepsOf({ start: fine, end, stepMs: 1_000 }),
  ];
}
// Seconds of slack on either side: Prometheus evaluates and scrapes every second, a little late under load.
const SLACK_S = 4;

let prometheus: RunningPrometheus;
let exporter: RunningExporter;
const client = () => createPrometheusClient({ url: prometheus.url, timeoutMs: 10_000 });

beforeAll(async () => {
  // One series throughout: the exporter carries on from the backfill's last value (and the seconds since),
  // with the job and instance labels the scrape gives it, so no window sees a reset or a second series.
  const times = sampleTimes(Math.floor(Date.now() / 1000) * 1000);
  const start = times[0] as number;
  const served = (t: number) => ((t - start) / 1000) * PER_SECOND;
  exporter = await startExporter([
    {
      name: 'cold_requests_total',
      labels: { code: '200' },
      perSecond: PER_SECOND,
      initial: served(Date.now()),
    },
    { name: 'cold_requests_total', labels: { code: '500' }, perSecond: 0 },
  ]);
  const labels = (code: string) => ({ code, job: 'test', instance: exporter.target });
  prometheus = await startPrometheus({
    backfillOpenMetrics: historyToOpenMetrics([
      { name: 'cold_requests_total', labels: labels('200'), points: times.map((t) => [t, served(t)]) },
      { name: 'cold_requests_total', labels: labels('500'), points: times.map((t) => [t, 0]) },
    ]),
    ruleFiles: [ruleFile('cold')],
    scrapeTargets: [exporter.target],
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

interface PromAlert {
  labels: Record<string, string>;
  state: string;
  activeAt: string;
}

async function alerts(): Promise<PromAlert[]> {
  const response = await fetch(`${prometheus.url}/api/v1/alerts`, { signal: AbortSignal.timeout(5_000) });
  const { data } = (await response.json()) as { data: { alerts: PromAlert[] } };
  return data.alerts.filter((a) => a.labels.slo === slo.name);
}

/** `sum(rate(errors[W])) / sum(rate(total[W]))` over the raw series, as straightforward rules read it. */
function rawRatio(windowMs: number): string {
  const w = formatDuration(windowMs);
  return `sum(rate(cold_requests_total{code="500"}[${w}])) / sum(rate(cold_requests_total[${w}]))`;
}

/** The first second, from `from` on, at which the raw math holds the tier's condition. */
async function rawOnset(tier: Tier, from: number, to: number): Promise<number | undefined> {
  const t = formatNumber(threshold(tier, slo.periodMs, slo.objective));
  const expr = `${rawRatio(tier.longMs)} > ${t} and ${rawRatio(tier.shortMs)} > ${t}`;
  const result = await client().queryRange(expr, new Date(from), new Date(to), 1);
  const first = result.result[0]?.values.find((v) => Number.isFinite(v.value));
  return first?.timestampMs;
}

/** Which tiers burbook's evaluator says burn now, from the same Prometheus. */
async function evaluatorBurning(): Promise<string[]> {
  const evaluation = await evaluateNow(client(), [slo]);
  expect(evaluation.errors).toEqual([]);
  expect(evaluation.slos[0]?.source).toBe('rules');
  return (evaluation.slos[0]?.tiers ?? []).filter((t) => t.burning).map((t) => t.alertname);
}

const names = slo.alerting.tiers.map((t) => alertName(slo, t));

describe('cold start: rules loaded on a service with days of history', () => {
  it('a blip pends nothing; a 5% burn pends each tier when the raw math says, not before', async () => {
    // The first evaluations have run: every window exists, and says so.
    await sleep(15_000);
    expect(await alerts()).toEqual([]);
    expect(await evaluatorBurning()).toEqual([]);

    exporter.setRates([PER_SECOND * 0.99, PER_SECOND * 0.01]);
    await sleep(20_000);
    exporter.setRates([PER_SECOND, 0]);
    // Watch the blip through the 5m short window of the fast tier and the minutes after.
    for (const deadline = Date.now() + 45_000; Date.now() < deadline; await sleep(1_000)) {
      expect(await alerts(), 'no tier may pend on a blip the raw math calls a blip').toEqual([]);
    }
    expect(await evaluatorBurning()).toEqual([]);

    const burnStart = Date.now();
    exporter.setRates([PER_SECOND * 0.95, PER_SECOND * 0.05]);
    const seen = new Map<string, number>();
    for (const deadline = Date.now() + 240_000; Date.now() < deadline; await sleep(1_000)) {
      const now = await alerts();
      for (const a of now) {
        if (!seen.has(a.labels.alertname ?? '')) seen.set(a.labels.alertname ?? '', Date.parse(a.activeAt));
      }
      if (seen.size === names.length) break;
    }
    expect([...seen.keys()].sort()).toEqual([...names].sort());
    // Pages, status and the rules agree: what pends or fires in Prometheus burns in burnbook's evaluator.
    // Read one after the other, the two can straddle a rule evaluation (a tier crossing in between): they
    // must agree within a few seconds, not at every instant.
    const agreement = await until(
      'the evaluator and Prometheus to agree on the burning tiers',
      async () => {
        const firing = (await alerts()).map((a) => a.labels.alertname).sort();
        return { firing, evaluator: (await evaluatorBurning()).sort() };
      },
      (both) => JSON.stringify(both.firing) === JSON.stringify(both.evaluator),
      15_000,
    );
    expect(agreement.evaluator).toEqual(agreement.firing);

    // A tier may pend up to SLACK_S before the raw math crosses (scrape and evaluation timing): give the
    // raw math that long to cross before asking when it did.
    await sleep((SLACK_S + 1) * 1000);
    const lateness: string[] = [];
    for (const tier of slo.alerting.tiers) {
      const name = alertName(slo, tier);
      const math = await rawOnset(tier, burnStart - 5_000, Date.now());
      lateness.push(
        `${name}: math ${(((math ?? 0) - burnStart) / 1000).toFixed(1)} s, pending ${(((seen.get(name) ?? 0) - burnStart) / 1000).toFixed(1)} s after the burn began`,
      );
    }
    console.log(lateness.join('\n'));
    for (const tier of slo.alerting.tiers) {
      const name = alertName(slo, tier);
      const math = await rawOnset(tier, burnStart - 5_000, Date.now());
      expect(math, `${name}: the raw math says it burns`).toBeDefined();
      const pending = seen.get(name) as number;
      const late = (pending - (math as number)) / 1000;
      expect(late, `${name}: pending ${late.toFixed(1)} s after the raw math`).toBeGreaterThanOrEqual(
        -SLACK_S,
      );
      expect(late, `${name}: pending ${late.toFixed(1)} s after the raw math`).toBeLessThanOrEqual(SLACK_S);
    }
  }, 420_000);
});
