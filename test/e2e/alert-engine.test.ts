import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sloLabels } from '../../src/conventions/names.ts';
import type { EvaluationProvider } from '../../src/evaluator/plugin.ts';
import { type RunningAlertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { testApp } from '../support/app.ts';
import {
  baseRecordings,
  DAY,
  historyToOpenMetrics,
  MINUTE,
  requestCounters,
  type Timeline,
} from '../support/history.ts';
import { ruleFiles } from '../support/outputs.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom } from '../support/promtool-scenario.ts';
import { until } from '../support/wait.ts';

/**
 * `serve --alertmanager-url` beside a Prometheus that already runs burnbook's rules for some SLOs: for those,
 * Prometheus is the alert engine (the evaluator shows its state and pushes nothing); for the rest, the
 * evaluator is, and pushes. Both SLOs burn at 20% errors against a 0.5% budget; the fast tier has no `for`.
 */

const TIERS = `
    alerting:
      tiers:
        - {name: fast, budgetPercent: 2, long: 1h, short: 5m, for: 0s, severity: page}
        - slow`;
const slos = slosFrom(`apiVersion: burnbook/v1
service: shop
slos:
  - name: ruled
    objective: 99.5
    sli: {ratio: {errors: 'ruled_total{code="500"}', total: ruled_total}}${TIERS}
  - name: bare
    objective: 99.5
    sli: {ratio: {errors: 'bare_total{code="500"}', total: bare_total}}${TIERS}
`);
const [ruled] = slos;
const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline: Timeline = { start: END - DAY, end: END, stepMs: MINUTE };

let prometheus: RunningPrometheus;
let alertmanager: RunningAlertmanager;
let app: FastifyInstance;

beforeAll(async () => {
  const burning = { labels: {}, errors: () => 200, total: () => 1000 };
  const series = [
    ...requestCounters(timeline, 'ruled_total', burning),
    ...requestCounters(timeline, 'bare_total', burning),
    // As if the rules had run all day: freshly loaded rules count the unrecorded past as healthy (the
    // cold start), and this test is about who sends the alert, not about when a new rule may fire.
    ...(ruled
      ? baseRecordings(timeline, sloLabels(ruled), timeline.start + MINUTE, () => ({
          errors: 200 / 60,
          total: 1000 / 60,
        }))
      : []),
  ];
  // Prometheus runs the generated rules of `ruled` only, and sends its alerts nowhere.
  const dir = mkdtempSync(join(tmpdir(), 'burnbook-engine-'));
  const [file] = ruleFiles(ruled ? [ruled] : []);
  writeFileSync(join(dir, 'shop.yaml'), file?.content ?? '');
  prometheus = await startPrometheus({
    backfillOpenMetrics: historyToOpenMetrics(series),
    ruleFiles: [join(dir, 'shop.yaml')],
  });
  alertmanager = await startAlertmanager({
    configYaml: 'route: {receiver: "null"}\nreceivers: [{name: "null"}]\n',
  });
  app = await testApp({
    slos,
    prometheusUrl: prometheus.url,
    alertmanagerUrl: alertmanager.url,
    evaluationIntervalMs: 500,
  });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
});

const report = () => (app.evaluation as EvaluationProvider).latest();

describe('one alert engine per SLO', () => {
  it("shows Prometheus's state where it runs the rules and pushes only the rest", async () => {
    const states = await until(
      'both fast tiers firing, each from its engine',
      () => report().slos.map((s) => [s.slo, s.alertEngine, s.tiers[0]?.state].join(' ')),
      (s) => s.includes('ruled prometheus firing') && s.includes('bare burnbook firing'),
      60_000,
    );
    expect(states).toHaveLength(2);
    const pushed = await until(
      'burnbook to push the bare SLO’s alert',
      async () => {
        const response = await fetch(`${alertmanager.url}/api/v2/alerts`);
        return ((await response.json()) as Array<{ labels: Record<string, string> }>).map(
          (a) => a.labels.alertname,
        );
      },
      (names) => names.includes('bare-fast-burn'),
      30_000,
    );
    // Several evaluations later, still nothing of `ruled`: Prometheus's copy is the only one.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as Array<{
      labels: Record<string, string>;
    }>;
    expect(pushed.filter((n) => n?.startsWith('ruled'))).toEqual([]);
    expect(after.filter((a) => a.labels.slo === 'ruled')).toEqual([]);

    const page = (await app.inject({ url: '/slos/shop/ruled' })).body;
    expect(page).toContain('Alert state from Prometheus: it runs this SLO&#39;s generated rules');
    const bare = (await app.inject({ url: '/slos/shop/bare' })).body;
    expect(bare).toContain(`so burnbook sends its alerts to ${alertmanager.url.replace(/\//g, '&#x2F;')}`);
  });
});
