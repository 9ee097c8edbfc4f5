import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertName } from '../../src/conventions/names.ts';
import type { AlertmanagerClient } from '../../src/evaluator/alertmanager-client.ts';
import type { PostableAlert } from '../../src/evaluator/alerts.ts';
import { Evaluator } from '../../src/evaluator/evaluator.ts';
import { createEvaluatorMetrics } from '../../src/evaluator/metrics.ts';
import type { EvaluatorReport } from '../../src/evaluator/report.ts';
import { vanishedGroupLookbackMs } from '../../src/outputs/rules/absent.ts';
import { createPrometheusClient } from '../../src/prometheus/client.ts';
import type { Slo } from '../../src/spec/model.ts';
import { testApp } from '../support/app.ts';
import {
  historyToOpenMetrics,
  MINUTE,
  type SeriesHistory,
  counter as stepCounter,
} from '../support/history.ts';
import { alertOptions } from '../support/outputs.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { counter, firings, range, sloNamed, slosFrom, writeRules } from '../support/promtool-scenario.ts';

/**
 * A group of a groupBy SLO that vanishes alone (its target no longer scraped while the other groups still
 * report) is told, not dropped. Two SLOs grouped by tenant, tenants a and b, healthy: in `tenants` only b's
 * series end after minute 59; in `gone` both do. The generated rules in promtool and burnbook's evaluator,
 * replaying the same history from a real Prometheus one minute after another, fire the absent-SLI alert
 * for tenant b alone (for `gone`, once for the whole SLO), and end it after the vanished-group lookback
 * (the fastest tier's long window, 1h here); the evaluator's report, which the pages read, says "no data
 * since" for b meanwhile.
 */

const slos = slosFrom(`
apiVersion: burnbook/v1
service: svc
slos:
  - name: tenants
    objective: 99.9
    groupBy: [tenant]
    sli: {ratio: {errors: 'tenants_total{code="500"}', total: tenants_total}}
  - name: gone
    objective: 99.9
    groupBy: [tenant]
    sli: {ratio: {errors: 'gone_total{code="500"}', total: gone_total}}
`);
const tenants = sloNamed(slos, 'tenants');
const gone = sloNamed(slos, 'gone');
const STOPPED = 60;
const LAST = 180;
const LOOKBACK = vanishedGroupLookbackMs(tenants) / MINUTE;
const PER_MINUTE = 1000;

/** Minutes each series is scraped: b of `tenants`, and every tenant of `gone`, stop at STOPPED. */
const SERIES = [
  { metric: 'tenants_total', tenant: 'a', minutes: LAST },
  { metric: 'tenants_total', tenant: 'b', minutes: STOPPED },
  { metric: 'gone_total', tenant: 'a', minutes: STOPPED },
  { metric: 'gone_total', tenant: 'b', minutes: STOPPED },
];

/** An absent-SLI alert firing at a minute: its SLO, and its tenant ('' for the whole SLO). */
interface Absent {
  minute: number;
  slo: string;
  tenant: string;
}

let prometheus: RunningPrometheus;
let fromRules: Absent[];
let fromEvaluator: Absent[];
const reports = new Map<number, EvaluatorReport>();

function rulesFirings(): Absent[] {
  const { ruleFile } = writeRules(slos);
  const series = SERIES.flatMap(({ metric, tenant, minutes }) => [
    { series: `${metric}{tenant="${tenant}",code="200"}`, values: counter([[minutes, PER_MINUTE]]) },
    { series: `${metric}{tenant="${tenant}",code="500"}`, values: counter([[minutes, 0]]) },
  ]);
  return firings({
    ruleFile: ruleFile('svc'),
    series,
    alertnames: [...new Set([tenants, gone].map((slo) => alertName(slo, slo.alerting.absent as never)))],
    minutes: range(STOPPED - 10, LAST - 1),
  }).flatMap((f) =>
    f.alerts.map((labels) => ({
      minute: f.minute,
      slo: /slo="([^"]+)"/.exec(labels)?.[1] ?? '',
      tenant: /tenant="([^"]+)"/.exec(labels)?.[1] ?? '',
    })),
  );
}

function history(start: number): SeriesHistory[] {
  return SERIES.flatMap(({ metric, tenant, minutes }) => {
    const timeline = { start, end: start + (minutes - 1) * MINUTE, stepMs: MINUTE };
    return [
      { name: metric, labels: { tenant, code: '200' }, points: stepCounter(timeline, () => PER_MINUTE) },
      { name: metric, labels: { tenant, code: '500' }, points: stepCounter(timeline, () => 0) },
    ];
  });
}

/** The evaluator minute by minute, with what it sends to Alertmanager (absent alerts still firing). */
async function replay(start: number): Promise<Absent[]> {
  let minute = 0;
  const firing: Absent[] = [];
  const alertmanager: AlertmanagerClient = {
    url: 'http://alertmanager.test',
    async postAlerts(alerts: PostableAlert[]) {
      for (const alert of alerts)
        if (alert.labels.slo_tier === 'sli-absent' && Date.parse(alert.endsAt) > Date.now())
          firing.push({ minute, slo: alert.labels.slo ?? '', tenant: alert.labels.tenant ?? '' });
    },
    activeAlerts: async () => [],
    silences: async () => [],
  };
  const evaluator = new Evaluator({
    slos,
    prometheus: createPrometheusClient({ url: prometheus.url, timeoutMs: 30_000 }),
    intervalMs: MINUTE,
    alertOptions: alertOptions(),
    alertmanager,
    metrics: createEvaluatorMetrics(new Registry(), slos),
  });
  for (minute of range(STOPPED - 10, LAST - 1)) {
    await evaluator.evaluateOnce(new Date(start + minute * MINUTE));
    reports.set(minute, evaluator.latest());
    // The post runs in the background; let it finish before the next evaluation.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return firing;
}

beforeAll(async () => {
  const start = Math.floor(Date.now() / MINUTE) * MINUTE - LAST * MINUTE;
  fromRules = rulesFirings();
  prometheus = await startPrometheus({ backfillOpenMetrics: historyToOpenMetrics(history(start)) });
  fromEvaluator = await replay(start);
}, 300_000);

afterAll(async () => {
  await prometheus?.stop();
});

const minutesOf = (alerts: Absent[], slo: Slo, tenant: string) =>
  alerts.filter((a) => a.slo === slo.name && a.tenant === tenant).map((a) => a.minute);

describe('a group that vanishes alone', () => {
  it('the rules fire the absent-SLI alert for that group alone, and end it after the lookback', () => {
    const b = minutesOf(fromRules, tenants, 'b');
    expect(b.length).toBeGreaterThan(0);
    // Its 5m record ends 5 minutes after the last scrape; then the alert's `for`.
    expect(Math.min(...b)).toBeLessThanOrEqual(
      STOPPED + 5 + (tenants.alerting.absent?.forMs ?? 0) / MINUTE + 1,
    );
    expect(Math.max(...b)).toBeGreaterThanOrEqual(STOPPED + LOOKBACK - 1);
    expect(Math.max(...b)).toBeLessThanOrEqual(STOPPED + LOOKBACK + 6);
    expect(minutesOf(fromRules, tenants, 'a')).toEqual([]);
    expect(minutesOf(fromRules, tenants, '')).toEqual([]);
  });

  it('when every group vanishes, the rules say it once, for the whole SLO', () => {
    expect(minutesOf(fromRules, gone, '').length).toBeGreaterThan(0);
    expect(fromRules.filter((a) => a.slo === gone.name && a.tenant !== '')).toEqual([]);
  });

  it('the evaluator fires the same absent-SLI alerts in the same minutes, within one evaluation', () => {
    for (const [slo, tenant] of [
      [tenants, 'b'],
      [tenants, 'a'],
      [tenants, ''],
      [gone, ''],
      [gone, 'a'],
    ] as const) {
      const rules = minutesOf(fromRules, slo, tenant);
      const evaluator = minutesOf(fromEvaluator, slo, tenant);
      const what = `${slo.name} ${tenant || '(whole SLO)'}`;
      expect(
        rules.filter((m) => !evaluator.some((e) => Math.abs(e - m) <= 1)),
        `${what}: rules only`,
      ).toEqual([]);
      expect(
        evaluator.filter((m) => !rules.some((r) => Math.abs(r - m) <= 1)),
        `${what}: evaluator only`,
      ).toEqual([]);
    }
  });

  it('the pages read "no data since" for the vanished group meanwhile, first among the groups, and then drop it', () => {
    const status = (minute: number) => reports.get(minute)?.slos.find((s) => s.slo === tenants.name);
    const meanwhile = status(STOPPED + 20);
    const b = meanwhile?.groups.find((g) => g.labels.tenant === 'b');
    expect(b?.broken?.reason).toBe('no-data');
    expect(b?.broken?.message).toMatch(/^No data from \{tenant="b"\} since \S+ \(1\d(\.\d)? min ago\)/);
    // The SLO's own status leads with it, so the overview shows the SLO as "no data" too.
    expect(meanwhile?.labels).toEqual({ tenant: 'b' });
    expect(meanwhile?.groups.find((g) => g.labels.tenant === 'a')?.broken).toBeNull();
    const after = status(STOPPED + LOOKBACK + 10);
    expect(after?.groups.map((g) => g.labels.tenant)).toEqual(['a']);
  });

  it('the overview and the SLO page show that report: the SLO as "no data", the group marked in the list', async () => {
    const report = reports.get(STOPPED + 20);
    if (!report) throw new Error('no report at that minute');
    const app = await testApp({ slos, evaluation: { latest: () => report } });
    try {
      const overview = (await app.inject({ url: '/' })).body;
      expect(overview).toMatch(
        /<tr data-slo="svc\/tenants">[\s\S]*?<a class="badge broken" href="[^"]*" title="No data from \{tenant&#x3D;&quot;b&quot;\} since [^"]*">no data<\/a>/,
      );
      const page = (await app.inject({ url: '/slos/svc/tenants' })).body;
      expect(page).toMatch(
        /<code>\{tenant&#x3D;&quot;b&quot;\}<\/code><\/a> <small[^>]*>[^<]*<\/small> <span class="badge broken" title="No data from/,
      );
      expect(page).not.toMatch(
        /<code>\{tenant&#x3D;&quot;a&quot;\}<\/code><\/a> <small[^>]*>[^<]*<\/small> <span class="badge broken"/,
      );
    } finally {
      await app.close();
    }
  });
});
