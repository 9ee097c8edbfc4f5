import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EvaluatorReport, evaluatorReportSchema } from '../../src/evaluator/report.ts';
import { alertAnnotations } from '../../src/outputs/rules/alerting.ts';
import { type RunningAlertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { testApp } from '../support/app.ts';
import { counter, DAY, HOUR, historyToOpenMetrics, MINUTE, type Timeline } from '../support/history.ts';
import { alertOptions } from '../support/outputs.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom } from '../support/promtool-scenario.ts';
import { type RunningProxy, startProxy } from '../support/proxy.ts';
import { until } from '../support/wait.ts';

/**
 * The server's evaluator against real servers: it fires the fast tier after its `for` and pushes
 * the alert to a real Alertmanager; Prometheus hanging and then stopping mid-run are errors it
 * reports without crashing or changing alert states; when a (healthy) Prometheus answers again it
 * recovers and resolves the alert in Alertmanager. A proxy keeps one URL across all of that.
 */

const SPEC = `
apiVersion: burnbook/v1
service: pay
labels: {team: payments}
slos:
  - name: api
    objective: 99.9
    sli: {ratio: {errors: 'api_requests_total{code="500"}', total: api_requests_total}}
    groupBy: [region]
    alerting:
      tiers: [{name: fast, for: 1s}, slow, very-slow]
`;
const [slo] = slosFrom(SPEC);
if (!slo) throw new Error('spec did not load');
const EXTERNAL = 'http://burnbook.test';
const GRAFANA = 'http://grafana.test';
const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline: Timeline = { start: END - 4 * DAY, end: END, stepMs: MINUTE };

/** 1000 requests a minute in region eu; `errorRatio` of them fail over the last two hours. */
function history(errorRatio: number): string {
  const bad = (t: number) => (t > END - 2 * HOUR ? 1000 * errorRatio : 0);
  return historyToOpenMetrics([
    {
      name: 'api_requests_total',
      labels: { region: 'eu', code: '200' },
      points: counter(timeline, (t) => 1000 - bad(t)),
    },
    { name: 'api_requests_total', labels: { region: 'eu', code: '500' }, points: counter(timeline, bad) },
  ]);
}

let burning: RunningPrometheus;
let healthy: RunningPrometheus;
let alertmanager: RunningAlertmanager;
let proxy: RunningProxy;
let app: FastifyInstance;

beforeAll(async () => {
  [burning, healthy, alertmanager] = await Promise.all([
    startPrometheus({ backfillOpenMetrics: history(0.05) }),
    startPrometheus({ backfillOpenMetrics: history(0) }),
    startAlertmanager({ configYaml: 'route: {receiver: "null"}\nreceivers: [{name: "null"}]\n' }),
  ]);
  proxy = await startProxy({ port: Number(new URL(burning.url).port) });
  app = await testApp({
    slos: [slo],
    externalUrl: EXTERNAL,
    prometheusUrl: proxy.url,
    alertmanagerUrl: alertmanager.url,
    grafanaUrl: GRAFANA,
    evaluationIntervalMs: 250,
    prometheusAccess: { timeoutMs: 1_500 },
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
  await Promise.all([burning?.stop(), healthy?.stop(), alertmanager?.stop()]);
});

async function report(): Promise<EvaluatorReport> {
  return evaluatorReportSchema.parse((await app.inject({ url: '/api/v1/slos' })).json());
}

const tierStates = (r: EvaluatorReport) => r.slos[0]?.groups[0]?.tiers.map((t) => t.state);

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  status: { state: string };
}

async function alertsInAlertmanager(): Promise<AmAlert[]> {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`, { signal: AbortSignal.timeout(5_000) });
  return (await response.json()) as AmAlert[];
}

async function metric(name: string): Promise<string[]> {
  const text = (await app.inject({ url: '/metrics' })).body;
  return text.split('\n').filter((line) => line.startsWith(name));
}

describe('an Alertmanager that hangs', () => {
  it('never holds up evaluation, and the pages say it is not taking alerts', async () => {
    const hanging = await startProxy('hang');
    const other = await testApp({
      slos: [slo],
      externalUrl: EXTERNAL,
      prometheusUrl: burning.url,
      alertmanagerUrl: hanging.url,
      evaluationIntervalMs: 250,
      prometheusAccess: { timeoutMs: 1_500 },
    });
    try {
      await other.ready();
      const evaluations = async () => {
        const text = (await other.inject({ url: '/metrics' })).body;
        return [...text.matchAll(/^burnbook_evaluations_total\{result="(?:ok|partial)"\} (\d+)$/gm)]
          .map((m) => Number(m[1]))
          .reduce((a, b) => a + b, 0);
      };
      // The fast tier fires after its `for` (1 s); from then on every evaluation has an alert to send.
      const firing = await until(
        'the fast tier firing',
        async () => (await other.inject({ url: '/api/v1/slos' })).json() as EvaluatorReport,
        (r) => tierStates(r)?.[0] === 'firing',
      );
      expect(firing.alertmanager?.lastSentAt).toBeNull();
      const before = await evaluations();
      await sleep(4_000);
      // Waiting for each post (1.5 s) allowed two or three evaluations in this time.
      expect((await evaluations()) - before).toBeGreaterThanOrEqual(8);
      const page = await until(
        'the banner',
        async () => (await other.inject({ url: '/' })).body,
        (html) => html.includes('Alertmanager is not taking alerts'),
      ).then((html) => html.replaceAll('&#x2F;', '/'));
      expect(page).toContain(`Alertmanager at ${hanging.url}/api/v2/alerts did not answer within 1500 ms`);
      expect(page).toContain('Nothing was delivered since burnbook started.');
      const sloPage = (await other.inject({ url: '/slos/pay/api' })).body;
      expect(sloPage).toContain('Alertmanager is not taking alerts');
    } finally {
      await other.close();
      await hanging.close();
    }
  });
});

describe('the evaluator in the server (real Prometheus and Alertmanager)', () => {
  it('fires the fast tier after its `for`, while slower tiers wait out theirs', async () => {
    const r = await until('the fast tier to fire', report, (x) => tierStates(x)?.[0] === 'firing');
    expect(tierStates(r)).toEqual(['firing', 'pending', 'pending']);
    expect(r.error).toBeNull();
    expect(r.slos[0]?.tiers[0]).toMatchObject({ tier: 'fast', firing: true, state: 'firing' });
    expect(await metric('burnbook_slo_tier_firing')).toEqual(
      expect.arrayContaining(['burnbook_slo_tier_firing{service="pay",slo="api",tier="fast",region="eu"} 1']),
    );
    const [burn1h] = await metric('burnbook_slo_burn_rate{service="pay",slo="api",window="1h",region="eu"}');
    expect(Number(burn1h?.split(' ')[1])).toBeCloseTo(50, 9);
  });

  it("pushes the alert to Alertmanager with the generated rule's labels and annotations", async () => {
    const [alert] = await until('the alert in Alertmanager', alertsInAlertmanager, (a) => a.length > 0);
    const fast = slo.alerting.tiers[0];
    if (!fast || !alert) throw new Error('no fast tier or alert');
    expect(alert.labels).toEqual({
      alertname: 'api-fast-burn',
      slo_service: 'pay',
      slo: 'api',
      team: 'payments',
      region: 'eu',
      slo_tier: 'fast',
      severity: 'page',
    });
    // The 1h error ratio is exactly 5%: what Prometheus would print for $value.
    const expected = alertAnnotations(slo, fast, alertOptions(EXTERNAL, GRAFANA), {
      value: '0.05',
      label: () => 'eu',
    });
    expect(alert.annotations).toEqual(expected);
    expect(alert.annotations.runbook_url).toBe('http://burnbook.test/runbooks/pay/api-fast-burn');
    // The region's view of the SLO's dashboard, as the generated rule's alert links it.
    expect(alert.annotations.dashboard_url).toMatch(
      /^http:\/\/grafana\.test\/d\/[\w-]+\/[\w-]+\?var-region=eu$/,
    );
    expect(alert.status.state).toBe('active');
  });

  it('after a restart, goes on firing what Alertmanager holds instead of waiting out `for` again', async () => {
    const [before] = await alertsInAlertmanager();
    // A second burnbook with the first one's settings stands in for the first one restarted. It evaluates
    // once at start and then not for a minute, so its report stays that first evaluation's.
    const restarted = await testApp({
      slos: [slo],
      externalUrl: EXTERNAL,
      prometheusUrl: burning.url,
      alertmanagerUrl: alertmanager.url,
      evaluationIntervalMs: 60_000,
    });
    try {
      await restarted.ready();
      const restartedReport = async () =>
        (await restarted.inject({ url: '/api/v1/slos' })).json() as EvaluatorReport;
      const first = await until('the first evaluation', restartedReport, (r) => r.evaluatedAt !== null);
      // Without the alert taken back, the fast tier would be pending here, for its `for` of 1s.
      expect(tierStates(first)).toEqual(['firing', 'pending', 'pending']);
      const sent = await until(
        'its alerts sent',
        restartedReport,
        (r) => r.alertmanager?.lastSentAt !== null,
      );
      expect(sent.alertmanager?.error).toBeNull();
      const [after] = await alertsInAlertmanager();
      expect(after?.startsAt).toBe(before?.startsAt);
    } finally {
      await restarted.close();
    }
  });

  it("fills the runbook page's first-look queries with current values", async () => {
    const page = await app.inject({ url: '/runbooks/pay/api-fast-burn' });
    expect(page.statusCode).toBe(200);
    // Confirm (5m) and trend (1h) queries, both at the 5% the history holds, above the 0.0144 threshold.
    expect(page.body.match(/<td class="num above">0\.05<\/td>/g)).toHaveLength(2);
    // --grafana-url: the page links the SLO's dashboard.
    expect(page.body.replaceAll('&#x2F;', '/')).toMatch(
      /<a href="http:\/\/grafana\.test\/d\/[^"]+">Dashboard<\/a>/,
    );
  });

  it('reports a hanging Prometheus as a timeout and holds alert states', async () => {
    proxy.route('hang');
    const r = await until('a timeout', report, (x) =>
      /did not answer within 1500 ms/.test(x.error?.message ?? ''),
    );
    expect(r.error?.message).toContain(proxy.url);
    expect(tierStates(r)).toEqual(['firing', 'pending', 'pending']);
  });

  it('reports a stopped Prometheus, keeps serving, and counts the failures', async () => {
    proxy.route({ port: Number(new URL(burning.url).port) });
    await burning.stop();
    const r = await until('an unavailable error', report, (x) =>
      /unreachable|other side closed|socket/i.test(x.error?.message ?? ''),
    );
    expect(r.error?.message).toContain(proxy.url);
    expect(r.lastSuccessAt).not.toBeNull();
    expect(tierStates(r)).toEqual(['firing', 'pending', 'pending']);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    // Runbook pages say Prometheus is down at once, not after a timeout per query.
    const started = performance.now();
    const page = await app.inject({ url: '/runbooks/pay/api-fast-burn' });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(page.body.replaceAll('&#x2F;', '/')).toContain(`Prometheus at ${proxy.url}/api/v1/query`);
    const [failed] = await metric('burnbook_evaluations_total{result="failed"}');
    expect(Number(failed?.split(' ')[1])).toBeGreaterThan(0);
  });

  it('recovers when Prometheus answers again, and resolves the alert in Alertmanager', async () => {
    proxy.route({ port: Number(new URL(healthy.url).port) });
    const r = await until('recovery', report, (x) => x.error === null && tierStates(x)?.[0] === 'resolved');
    expect(tierStates(r)).toEqual(['resolved', 'inactive', 'inactive']);
    expect(r.slos[0]?.budgetRemaining).toBe(1);
    // Alertmanager lists only alerts that have not ended.
    await until('the alert to be resolved', alertsInAlertmanager, (a) => a.length === 0);
    expect(r.alertmanager?.error).toBeNull();
  });
});
