import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { evaluatorReportSchema, type SloStatus, sloStatusSchema } from '../../src/evaluator/report.ts';
import { type RunningAlertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { testApp } from '../support/app.ts';
import { burnbook } from '../support/cli.ts';
import {
  counter,
  gauge,
  HOUR,
  historyToOpenMetrics,
  MINUTE,
  type SeriesHistory,
} from '../support/history.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom } from '../support/promtool-scenario.ts';
import { until } from '../support/wait.ts';

/**
 * An SLI that cannot be computed, or whose ratio is above 1, is reported as broken, never as a number:
 * by `status`, by the server's evaluator (which also fires the absent-SLI alert to a real Alertmanager,
 * as the generated rule would), and on the SLO page, which says why and shows the live check. The history
 * (backfilled, ending a minute ago) has a histogram with buckets 0.1, 0.25, 0.5, 1 and +Inf, where every
 * request is slower than 1 s, payments counters whose errors and total the spec swapped, and gauges that
 * read a percentage where the spec's boolGauge and errorRatio SLIs expect 0/1 and a ratio.
 */

const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline = { start: END - 2 * HOUR, end: END, stepMs: MINUTE };
const perMinute = (n: number) => () => n;

const HISTORY: SeriesHistory[] = [
  {
    name: 'search_request_duration_seconds_count',
    labels: { job: 'search' },
    points: counter(timeline, perMinute(60)),
  },
  ...['0.1', '0.25', '0.5', '1', '+Inf'].map((le) => ({
    name: 'search_request_duration_seconds_bucket',
    labels: { job: 'search', le },
    points: counter(timeline, perMinute(le === '+Inf' ? 60 : 0)),
  })),
  { name: 'payments_total', labels: { job: 'payments' }, points: counter(timeline, perMinute(100)) },
  { name: 'payments_failed_total', labels: { job: 'payments' }, points: counter(timeline, perMinute(2)) },
  { name: 'probe_success_percent', labels: { job: 'blackbox' }, points: gauge(timeline, () => 100) },
  { name: 'wifi_error_percent', labels: { job: 'wifi' }, points: gauge(timeline, () => 2) },
];

const SPEC = `apiVersion: burnbook/v1
service: search
slos:
  - name: latency
    objective: 99
    sli: {latency: {histogram: 'search_request_duration_seconds{job="search"}', threshold: 0.3}}
    alerting: {absent: {for: 0s}}
  - name: latency-bucket
    objective: 99
    sli: {latency: {histogram: 'search_request_duration_seconds{job="search"}', threshold: 0.25}}
  - name: payments
    objective: 99
    sli: {ratio: {errors: 'payments_total{job="payments"}', total: 'payments_failed_total{job="payments"}'}}
  - name: probe-percent
    objective: 99
    sli: {boolGauge: {metric: 'probe_success_percent{job="blackbox"}'}}
  - name: probe-gone
    objective: 99
    sli: {boolGauge: {metric: 'probe_success{job="blackbox"}'}}
  - name: wifi-percent
    objective: 99
    sli: {errorRatio: {query: 'avg_over_time(wifi_error_percent{job="wifi"}[{{window}}])'}}
`;
const slos = slosFrom(SPEC);

let prometheus: RunningPrometheus;
let alertmanager: RunningAlertmanager;
let app: FastifyInstance;
let dir: string;

beforeAll(async () => {
  [prometheus, alertmanager] = await Promise.all([
    startPrometheus({ backfillOpenMetrics: historyToOpenMetrics(HISTORY) }),
    startAlertmanager({ configYaml: 'route: {receiver: "null"}\nreceivers: [{name: "null"}]\n' }),
  ]);
  dir = mkdtempSync(join(tmpdir(), 'burnbook-broken-'));
  writeFileSync(join(dir, 'search.yaml'), SPEC);
  app = await testApp({
    slos,
    prometheusUrl: prometheus.url,
    alertmanagerUrl: alertmanager.url,
    evaluationIntervalMs: 250,
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
});

const named = (statuses: SloStatus[], slo: string) => statuses.find((s) => s.slo === slo) as SloStatus;

describe('a broken SLI is reported as broken, not as a number', () => {
  it('status --json: no data for the missing bucket, nothing at all for a ratio above 1; exit 1', () => {
    const run = burnbook(['status', 'search.yaml', '--prometheus-url', prometheus.url, '--json'], {}, dir);
    expect(run.code, run.stderr).toBe(1);
    const statuses = z.array(sloStatusSchema).parse(JSON.parse(run.stdout));

    const latency = named(statuses, 'latency');
    expect(latency.broken?.reason).toBe('no-data');
    expect(latency.broken?.message).toContain('the bucket of its threshold, matches nothing');
    // Never the perfect score the `or 0` fallback used to make of it.
    expect(Object.values(latency.errorRatios)).toEqual(Object.values(latency.errorRatios).map(() => null));
    expect(latency.budgetRemaining).toBeNull();
    expect(latency.tiers.map((t) => t.burning)).toEqual([null, null, null]);

    const payments = named(statuses, 'payments');
    expect(payments.broken?.reason).toBe('ratio-above-1');
    expect(payments.broken?.message).toMatch(/the error ratio over \S+ is 50, above 1/);
    expect(Object.values(payments.burnRates).every((r) => r === null)).toBe(true);
    expect(payments.budgetRemaining).toBeNull();

    // A working SLI on the same outage: every request is slower than the 0.25 bucket.
    const bucket = named(statuses, 'latency-bucket');
    expect(bucket.broken).toBeNull();
    expect(bucket.errorRatios['1h']).toBe(1);
    expect(bucket.tiers[0]?.burning).toBe(true);

    // issue 18's SLI kinds, broken the same ways: a gauge of 100 would read as better than perfect.
    const percent = named(statuses, 'probe-percent');
    expect(percent.broken?.reason).toBe('ratio-below-0');
    expect(percent.broken?.message).toMatch(/is -99, below 0 \(a boolGauge metric must read 0 or 1/);
    expect(percent.budgetRemaining).toBeNull();
    expect(named(statuses, 'probe-gone').broken).toMatchObject({
      reason: 'no-data',
      message: expect.stringContaining('its total series matches nothing'),
    });
    const wifi = named(statuses, 'wifi-percent');
    expect(wifi.broken?.reason).toBe('ratio-above-1');
    expect(wifi.broken?.message).toMatch(/is 2, above 1: .*a percentage is 100 times too large/);
  });

  it('status as a table says broken SLI, and why, for each', () => {
    const run = burnbook(['status', 'search.yaml', '--prometheus-url', prometheus.url], {}, dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/search\/latency .*broken SLI/);
    expect(run.stdout).toMatch(/search\/payments .*broken SLI/);
    expect(run.stderr).toContain('broken SLI search/latency: the SLI reads no data over the last 5m');
    expect(run.stderr).toContain('broken SLI search/payments: the error ratio over');
  });

  it("the evaluator reports the same, and fires the SLO's absent-SLI alert to Alertmanager", async () => {
    const report = await until(
      'an evaluation',
      async () => evaluatorReportSchema.parse((await app.inject({ url: '/api/v1/slos' })).json()),
      (r) => r.state === 'ok',
    );
    expect(named(report.slos, 'latency').broken?.reason).toBe('no-data');
    expect(named(report.slos, 'payments').broken?.reason).toBe('ratio-above-1');
    const alerts = await until(
      'the absent-SLI alert in Alertmanager',
      async () =>
        (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as Array<{
          labels: Record<string, string>;
          annotations: Record<string, string>;
        }>,
      (a) => a.length > 0,
    );
    expect(alerts.map((a) => a.labels)).toEqual([
      {
        alertname: 'latency-sli-absent',
        slo_service: 'search',
        slo: 'latency',
        slo_tier: 'sli-absent',
        severity: 'ticket',
      },
    ]);
    expect(alerts[0]?.annotations.runbook_url).toBe(
      'http://burnbook.test/runbooks/search/latency-sli-absent',
    );
  });

  it('the SLO page says why it has no numbers, and shows the live check with the real buckets', async () => {
    const html = (await app.inject({ url: '/slos/search/latency' })).body;
    expect(html).toMatch(
      /<div class="banner failed" role="status" id="broken-sli"><strong>No data<\/strong> <span>No data since burnbook started \([^)]+\): the SLI reads no data over the last 5m/,
    );
    const check = html.slice(html.indexOf('<h2 id="sli-check">'), html.indexOf('<h2 id="history">'));
    expect(check).toContain(
      '<span class="badge broken">broken</span> <strong>bucket</strong> 0.3 is no bucket boundary',
    );
    expect(check).toContain('which has 0.1, 0.25, 0.5, 1, +Inf');
    expect(check).toContain('the nearest are 0.25 (below: stricter) and 0.5 (above: looser)');
    const index = (await app.inject({ url: '/' })).body;
    expect(index).toMatch(
      /<tr data-slo="search\/latency">[\s\S]*?<a class="badge broken" href="[^"]*" title="No data since burnbook started \([^)]+\): the SLI reads no data[^"]*">no data<\/a>/,
    );
    expect(index).toMatch(/<tr data-slo="search\/payments">[\s\S]*?>broken SLI<\/a>/);
    const working = (await app.inject({ url: '/slos/search/latency-bucket' })).body;
    expect(working).not.toContain('id="broken-sli"');
    expect(working).toContain(
      '<span class="badge ok">ok</span> <strong>bucket</strong> le&#x3D;&quot;0.25&quot;',
    );
  });
});
