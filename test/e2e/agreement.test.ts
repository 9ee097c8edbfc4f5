import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertName, sloLabels } from '../../src/conventions/names.ts';
import { evaluateNow } from '../../src/evaluator/run.ts';
import { tierFacts } from '../../src/policy/burn.ts';
import { createPrometheusClient } from '../../src/prometheus/client.ts';
import {
  baseRecordings,
  counter,
  DAY,
  historyToOpenMetrics,
  MINUTE,
  type SeriesHistory,
  type Timeline,
} from '../support/history.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom, writeRules } from '../support/promtool-scenario.ts';

/**
 * burnbook's evaluator and Prometheus running the generated rules agree on which tiers burn, on the
 * same data. Every scenario keeps its error ratio for longer than the longest tier window, and the
 * history holds the rules' own 5m recordings and start records (computed here from the same increments)
 * as if the rules had run throughout: freshly loaded rules would otherwise count the windows' unseen past
 * as healthy (the cold start) and rightly not page yet. The alert conditions, thresholds, minEvents and
 * the live 5m rates are still Prometheus's, from the generated rules; then every window reads the
 * scenario's ratio in both.
 * Prometheus holds a burning alert as pending until its `for` has passed; pending or firing is
 * "the condition holds", which is what a one-off evaluation reports as burning.
 */

const SPEC = `
apiVersion: burnbook/v1
service: agree
slos:
  - name: hot
    objective: 99.9
    sli: {ratio: {errors: 'hot_requests_total{code="500"}', total: hot_requests_total}}
  - name: warm
    objective: 99.9
    sli: {ratio: {errors: 'warm_requests_total{code="500"}', total: warm_requests_total}}
  - name: cool
    objective: 99.9
    sli: {ratio: {errors: 'cool_requests_total{code="500"}', total: cool_requests_total}}
  - name: tenants
    objective: 99.9
    groupBy: [tenant]
    sli: {ratio: {errors: 'tenants_requests_total{code="500"}', total: tenants_requests_total}}
  - name: sparse
    objective: 99.9
    minEvents: 1000
    sli: {ratio: {errors: 'sparse_requests_total{code="500"}', total: sparse_requests_total}}
`;

const slos = slosFrom(SPEC);
const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline: Timeline = { start: END - 4 * DAY, end: END, stepMs: MINUTE };

/** Per SLO and group: requests per minute and the share that fails, constant throughout. */
const SCENARIOS: Array<{
  slo: string;
  labels: Record<string, string>;
  perMinute: number;
  errorRatio: number;
}> = [
  { slo: 'hot', labels: {}, perMinute: 1000, errorRatio: 0.05 },
  { slo: 'warm', labels: {}, perMinute: 1000, errorRatio: 0.01 },
  { slo: 'cool', labels: {}, perMinute: 1000, errorRatio: 0.0005 },
  { slo: 'tenants', labels: { tenant: 'a' }, perMinute: 1000, errorRatio: 0.02 },
  { slo: 'tenants', labels: { tenant: 'b' }, perMinute: 1000, errorRatio: 0 },
  // Ten requests an hour, all failing: far over every threshold, far under minEvents.
  { slo: 'sparse', labels: {}, perMinute: 10 / 60, errorRatio: 1 },
];

function series(): SeriesHistory[] {
  return SCENARIOS.flatMap(({ slo, labels, perMinute, errorRatio }) => [
    ...baseRecordings(timeline, { ...sloLabels(sloNamed(slo)), ...labels }, timeline.start + MINUTE, () => ({
      errors: (perMinute * errorRatio) / 60,
      total: perMinute / 60,
    })),
    {
      name: `${slo}_requests_total`,
      labels: { ...labels, code: '200' },
      points: counter(timeline, () => perMinute * (1 - errorRatio)),
    },
    {
      name: `${slo}_requests_total`,
      labels: { ...labels, code: '500' },
      points: counter(timeline, () => perMinute * errorRatio),
    },
  ]);
}

function sloNamed(name: string) {
  const slo = slos.find((s) => s.name === name);
  if (!slo) throw new Error(`no SLO ${name} in SPEC`);
  return slo;
}

/** What the math says burns, from the scenario: alertname plus group labels. */
function expectedBurning(): string[] {
  return SCENARIOS.flatMap(({ slo: name, labels, perMinute, errorRatio }) => {
    const slo = slos.find((s) => s.name === name);
    if (!slo) return [];
    return slo.alerting.tiers
      .filter((tier) => errorRatio > tierFacts(tier, slo.periodMs, slo.objective).threshold)
      .filter((tier) => slo.minEvents === undefined || perMinute * (tier.longMs / MINUTE) >= slo.minEvents)
      .map((tier) => key(alertName(slo, tier), labels));
  }).sort();
}

function key(alertname: string, labels: Record<string, string>): string {
  return `${alertname}${JSON.stringify(labels)}`;
}

let prometheus: RunningPrometheus;

beforeAll(async () => {
  const { ruleFile } = writeRules(slos);
  prometheus = await startPrometheus({
    backfillOpenMetrics: historyToOpenMetrics(series()),
    ruleFiles: [ruleFile('agree')],
    evaluationInterval: '1s',
  });
});

afterAll(async () => {
  await prometheus?.stop();
});

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

async function prometheusAlerts(): Promise<string[]> {
  const response = await fetch(`${prometheus.url}/api/v1/alerts`, { signal: AbortSignal.timeout(5_000) });
  const { data } = (await response.json()) as { data: { alerts: PromAlert[] } };
  return data.alerts
    .filter((a) => a.state === 'pending' || a.state === 'firing')
    .map((a) =>
      key(a.labels.alertname ?? '', a.labels.tenant === undefined ? {} : { tenant: a.labels.tenant }),
    )
    .sort();
}

describe('evaluator vs Prometheus running the generated rules (same data)', () => {
  it('the same tiers burn, for the same groups, as the math says', async () => {
    const expected = expectedBurning();
    expect(expected).toContain(key('hot-fast-burn', {}));
    expect(expected).not.toContain(key('warm-fast-burn', {}));

    // Prometheus evaluates its rules every second; wait until they have seen the data.
    let fromPrometheus: string[] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(200)) {
      fromPrometheus = await prometheusAlerts();
      if (fromPrometheus.length >= expected.length) break;
    }
    const client = createPrometheusClient({ url: prometheus.url, timeoutMs: 10_000 });
    const evaluation = await evaluateNow(client, slos);
    expect(evaluation.errors).toEqual([]);
    const fromBurnbook = evaluation.slos
      .flatMap((status) =>
        status.groups.flatMap((group) =>
          group.tiers.filter((t) => t.burning).map((t) => key(t.alertname, group.labels)),
        ),
      )
      .sort();

    expect(fromPrometheus).toEqual(expected);
    expect(fromBurnbook).toEqual(expected);
  });
});
