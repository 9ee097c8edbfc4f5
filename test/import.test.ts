import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SiteUrls } from '../src/conventions/urls.ts';
import { renderedFiles } from '../src/outputs/output.ts';
import { ruleGroup } from '../src/outputs/rules/groups.ts';
import { rulesOutput } from '../src/outputs/rules/output.ts';
import { burnFactor } from '../src/policy/burn.ts';
import { loadSpecs, loadSpecText } from '../src/spec/load.ts';
import type { Slo } from '../src/spec/model.ts';
import { startBurnbook } from './support/burnbook.ts';
import { burnbook } from './support/cli.ts';
import { slosFrom } from './support/promtool-scenario.ts';

/**
 * `burnbook import` and direct loading of Sloth, Pyrra and OpenSLO files. The fixtures under
 * test/fixtures/import/ are written for these tests after each tool's public examples (none is a copy).
 */

const FIXTURES = 'test/fixtures/import';
const ALERTS = { urls: new SiteUrls('http://burnbook.test') };

function rules(slos: readonly Slo[]): string[] {
  const output = rulesOutput({ dir: 'rules', alerts: ALERTS });
  // Headers name the spec file; everything under them must be the same.
  return renderedFiles(output, slos).map((f) => f.content.split('\n').slice(1).join('\n'));
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'burnbook-import-'));
}

function errorsOf(text: string, file = 'source.yaml') {
  return loadSpecText(text, file).errors.map((e) => `${e.line}:${e.col} ${e.path}: ${e.message}`);
}

describe('burnbook import', () => {
  it('writes review-ready burnbook/v1 that generates exactly the rules the foreign files generate directly', () => {
    const out = scratch();
    const run = burnbook(['import', FIXTURES, '--out', out]);
    expect(run.code, run.all).toBe(0);
    const written = readdirSync(out).sort();
    expect(written).toEqual(
      [
        'blackbox.yaml',
        'catalog.yaml',
        'checkout-errors.yaml',
        'inline-bad.yaml',
        'k8s-two-services.yaml',
        'orders.yaml',
        'router.yaml',
        'search-latency.yaml',
        'v1alpha.yaml',
      ].sort(),
    );
    const orders = readFileSync(join(out, 'orders.yaml'), 'utf8');
    expect(orders.split('\n')[0]).toBe(
      `# Imported by burnbook from ${FIXTURES}/sloth/orders.yaml (Sloth prometheus/v1).`,
    );
    expect(orders).toContain('apiVersion: burnbook/v1');
    const direct = loadSpecs([FIXTURES]);
    const imported = loadSpecs([out]);
    expect(direct.errors).toEqual([]);
    expect(imported.errors).toEqual([]);
    expect(imported.slos.map((s) => `${s.service}/${s.name}`).sort()).toEqual(
      direct.slos.map((s) => `${s.service}/${s.name}`).sort(),
    );
    expect(rules(imported.slos).sort()).toEqual(rules(direct.slos).sort());
  });

  it('writes nothing when a source has an error, and says where in the source', () => {
    const dir = scratch();
    const out = join(dir, 'out');
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        'version: "prometheus/v1"',
        'service: shop',
        'slos:',
        '  - name: avail',
        '    objective: 99.9',
        '    sli:',
        '      events:',
        '        error_query: sum(rate(x{code=~"5.."}[{{.window}}])',
        '        total_query: sum(rate(x[{{.window}}]))',
        '    alerting: {name: ShopErrors}',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'good.yaml'), readFileSync(join(FIXTURES, 'sloth/router.yaml')));
    const run = burnbook(['import', dir, '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bad.yaml:8:59  slos[0].sli.events.error_query: PromQL does not parse');
    expect(run.stderr).toContain('nothing imported');
    expect(() => readdirSync(out)).toThrow();
  });

  it('never replaces a file without --force', () => {
    const out = scratch();
    writeFileSync(join(out, 'router.yaml'), '# mine\n');
    const refused = burnbook(['import', join(FIXTURES, 'sloth/router.yaml'), '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('router.yaml exists; pass --force');
    expect(readFileSync(join(out, 'router.yaml'), 'utf8')).toBe('# mine\n');
    const forced = burnbook(['import', join(FIXTURES, 'sloth/router.yaml'), '--out', out, '--force']);
    expect(forced.code, forced.all).toBe(0);
    expect(readFileSync(join(out, 'router.yaml'), 'utf8')).toContain('errorRatio:');
  });

  it('validate and generate read the foreign files directly', () => {
    const out = scratch();
    const validate = burnbook(['validate', FIXTURES]);
    expect(validate.code, validate.all).toBe(0);
    expect(validate.stdout).toContain('11 SLOs in 9 files are valid');
    const generate = burnbook(['generate', FIXTURES, '--out', out]);
    expect(generate.code, generate.all).toBe(0);
    expect(readFileSync(join(out, 'orders.yaml'), 'utf8')).toContain('alert: OrdersHighErrorRate');
  });
});

describe('serve', () => {
  it('serves the foreign files directly: their SLOs, and each tier of a shared alert name its own runbook page', async () => {
    const server = await startBurnbook({ specs: [FIXTURES], dataDir: scratch() });
    try {
      const slos = (await (await fetch(`${server.url}/api/v1/slos`)).json()) as {
        slos: Array<{ service: string; slo: string }>;
      };
      expect(slos.slos.map((s) => `${s.service}/${s.slo}`).sort()).toEqual(
        loadSpecs([FIXTURES])
          .slos.map((s) => `${s.service}/${s.name}`)
          .sort(),
      );
      const page = await fetch(`${server.url}/runbooks/orders/http-availability-page-slow-burn`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('OrdersHighErrorRate (page-slow)');
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('what the foreign formats mean in burnbook', () => {
  /** A critical absent-SLI alert named as Pyrra names it, firing after `minutes`. */
  const sloMetricAbsent = (minutes: number) => ({
    name: 'sli-absent',
    alertname: 'SLOMetricAbsent',
    severity: 'critical',
    forMs: minutes * 60_000,
  });

  const sloth = (extra: string) =>
    [
      'version: "prometheus/v1"',
      'service: shop',
      'slos:',
      '  - name: avail',
      '    objective: 99.9',
      '    sli:',
      extra,
      '    alerting:',
      '      name: ShopErrors',
      '      page_alert: {labels: {severity: critical, team: a}}',
      '      ticket_alert: {disable: true}',
    ].join('\n');

  it('Sloth: the page alert is two tiers keeping the alert name, its labels on them only; a disabled ticket alert raises nothing', () => {
    const [slo] = slosFrom(
      sloth(
        '      events: {error_query: "sum(rate(e[{{.window}}]))", total_query: "sum(rate(t[{{.window}}]))"}',
      ),
    ) as [Slo];
    expect(slo.periodMs).toBe(30 * 86_400_000);
    expect(slo.alerting.alertname).toBe('ShopErrors');
    expect(
      slo.alerting.tiers.map((t) => [
        t.name,
        t.severity,
        t.budgetPercent,
        t.longMs / 60_000,
        t.shortMs / 60_000,
      ]),
    ).toEqual([
      ['page-quick', 'critical', 2, 60, 5],
      ['page-slow', 'critical', 5, 360, 30],
      ['ticket-quick', 'ticket', 10, 1440, 120],
      ['ticket-slow', 'ticket', 10, 4320, 360],
    ]);
    expect(slo.alerting.silent).toEqual(['ticket-quick', 'ticket-slow']);
    expect(slo.alerting.severities.critical?.labels).toEqual({ team: 'a', sloth_severity: 'page' });
    // Sloth has no absent alert: burnbook's follows the page alert where tickets are disabled, beside the
    // shared name as Pyrra's SLOMetricAbsent; page-quick detects a total outage in 0.9m, plus its 2m `for`.
    expect(slo.alerting.absent).toEqual(sloMetricAbsent(3));
  });

  it("Sloth: burnbook's absent alert goes out as a ticket, with the ticket alert's labels; none where every alert is disabled", () => {
    const spec = (ticket: string) =>
      sloth('      raw: {error_ratio_query: "avg_over_time(r[{{.window}}])"}').replace(
        '      ticket_alert: {disable: true}',
        `      ticket_alert: ${ticket}`,
      );
    const [slo] = slosFrom(spec('{labels: {queue: shop}}')) as [Slo];
    expect(slo.alerting.absent?.severity).toBe('ticket');
    const [rule] = ruleGroup(slo, ALERTS).rules.filter(
      (r) => 'alert' in r && r.labels.slo_tier === 'sli-absent',
    );
    expect(rule).toMatchObject({
      alert: 'SLOMetricAbsent',
      labels: { severity: 'ticket', queue: 'shop', sloth_severity: 'ticket' },
    });
    const [silent] = slosFrom(
      spec('{disable: true}').replace(
        'page_alert: {labels: {severity: critical, team: a}}',
        'page_alert: {disable: true}',
      ),
    ) as [Slo];
    expect(silent.alerting.absent).toBeUndefined();
  });

  it('Sloth: an SLI plugin is a clear error naming the plugin, at its line', () => {
    expect(errorsOf(sloth('      plugin: {id: "sloth-common/kubernetes/apiserver/availability"}'))).toEqual([
      '7:20 slos[0].sli.plugin.id: Sloth SLI plugin "sloth-common/kubernetes/apiserver/availability" is Go code that burnbook cannot run',
    ]);
  });

  it('Sloth: an AlertWindows catalog in the same run gives the period and the tiers', () => {
    const catalog = [
      'apiVersion: sloth.slok.dev/v1',
      'kind: AlertWindows',
      'spec:',
      '  sloPeriod: 7d',
      '  page:',
      '    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}',
      '    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}',
      '  ticket:',
      '    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}',
      '    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}',
    ].join('\n');
    const spec = sloth('      raw: {error_ratio_query: "avg_over_time(r[{{.window}}])"}');
    const { slos, errors } = loadSpecText(`${spec}\n---\n${catalog}`, 'shop.yaml');
    expect(errors).toEqual([]);
    expect(slos[0]?.periodMs).toBe(7 * 86_400_000);
    expect(slos[0]?.alerting.tiers.map((t) => t.budgetPercent)).toEqual([8, 12.5, 20, 42]);
    expect(errorsOf(catalog.replace('shortWindow: 5m', 'shortWindow: 2m'), 'w.yaml')).toEqual([
      '6:49 spec.page.quick.shortWindow: shortWindow 2m is shorter than 5m, the shortest window burnbook measures',
    ]);
  });

  const pyrra = (indicator: string, extra = '') =>
    [
      'apiVersion: pyrra.dev/v1alpha1',
      'kind: ServiceLevelObjective',
      'metadata: {name: api-errors, namespace: web}',
      'spec:',
      '  target: "99.5"',
      '  window: 4w',
      '  indicator:',
      indicator,
      extra,
    ].join('\n');

  it("Pyrra: Pyrra's windows, factors, for and severities; selector labels on every rule and alert; grouping as groupBy", () => {
    const [slo] = slosFrom(
      pyrra(
        '    ratio: {errors: {metric: "http_total{job=\\"api\\",namespace=\\"web\\",code=~\\"5..\\"}"}, total: {metric: "http_total{job=\\"api\\",namespace=\\"web\\"}"}, grouping: [route]}',
      ),
    ) as [Slo];
    expect([slo.service, slo.name, slo.objective, slo.periodMs / 86_400_000]).toEqual([
      'web',
      'api-errors',
      99.5,
      28,
    ]);
    expect(slo.labels).toEqual({ job: 'api', namespace: 'web' });
    expect(slo.groupBy).toEqual(['route']);
    expect(slo.alerting.alertname).toBe('ErrorBudgetBurn');
    expect(
      slo.alerting.tiers.map((t) => [
        t.name,
        t.severity,
        t.longMs / 60_000,
        t.shortMs / 60_000,
        t.forMs / 60_000,
      ]),
    ).toEqual([
      ['fast', 'critical', 60, 5, 2],
      ['medium', 'critical', 360, 30, 15],
      ['slow', 'warning', 1440, 120, 60],
      ['long-term', 'warning', 5760, 360, 180],
    ]);
    // Pyrra's factors 14, 7, 2, 1 over 28 days.
    expect(slo.alerting.tiers.map((t) => burnFactor(t, slo.periodMs))).toEqual([14, 7, 2, 1]);
    // Pyrra's SLOMetricAbsent, critical, for its AbsentDuration: 14 × 0.005 × 60m = 4.2m, plus 2m, to the
    // nearest minute (burnbook's own default rounds up: 7m).
    expect(slo.alerting.absent).toEqual(sloMetricAbsent(6));
  });

  it("Pyrra: absentName, severities.absent and absent: false set burnbook's absent alert", () => {
    const indicator = '    bool_gauge: {metric: "probe_success{job=\\"bb\\"}"}';
    const [named] = slosFrom(
      pyrra(indicator, '  alerting: {absentName: ProbeGone, severities: {absent: warning}}'),
    ) as [Slo];
    expect(named.alerting.absent).toMatchObject({ alertname: 'ProbeGone', severity: 'warning' });
    const [off] = slosFrom(pyrra(indicator, '  alerting: {absent: false}')) as [Slo];
    expect(off.alerting.absent).toBeUndefined();
  });

  it('Pyrra: latencyNative is refused clearly; alerting.disabled keeps the SLO and silences every tier', () => {
    expect(
      errorsOf(pyrra('    latencyNative: {total: {metric: "h{job=\\"a\\"}"}, latency: 100ms}'))[0],
    ).toMatch(/^8:20 spec.indicator.latencyNative: latencyNative reads native histograms/);
    const { slos } = loadSpecText(
      pyrra('    bool_gauge: {metric: "probe_success{job=\\"bb\\"}"}', '  alerting: {disabled: true}'),
      'p.yaml',
    );
    expect(slos[0]?.alerting.silent).toEqual(['fast', 'medium', 'slow', 'long-term']);
    expect(slos[0]?.sli.kind).toBe('boolGauge');
    // As in Pyrra, disabled silences the burn-rate alerts only: the absent alert stays.
    expect(slos[0]?.alerting.absent?.alertname).toBe('SLOMetricAbsent');
  });

  it('OpenSLO: Timeslices and calendar windows are refused clearly; a non-Prometheus source is named', () => {
    const slo = (budgeting: string, window: string, type = 'Prometheus') =>
      [
        'apiVersion: openslo/v1',
        'kind: SLO',
        'metadata: {name: x}',
        'spec:',
        '  service: web',
        '  indicator:',
        '    spec:',
        '      ratioMetric:',
        '        counter: true',
        `        bad: {metricSource: {type: ${type}, spec: {query: 'e{code="500"}'}}}`,
        `        total: {metricSource: {type: ${type}, spec: {query: 'e'}}}`,
        `  timeWindow: [${window}]`,
        `  budgetingMethod: ${budgeting}`,
        '  objectives: [{target: 0.99}]',
      ].join('\n');
    expect(errorsOf(slo('Occurrences', '{duration: 1w, isRolling: true}'))).toEqual([]);
    expect(errorsOf(slo('Timeslices', '{duration: 1w, isRolling: true}'))).toEqual([
      '13:20 spec.budgetingMethod: budgetingMethod Timeslices: burnbook budgets occurrences (bad events over all events)',
    ]);
    expect(
      errorsOf(slo('Occurrences', '{duration: 1M, calendar: {startTime: x, timeZone: UTC}}'))[0],
    ).toMatch(/^12:16 spec.timeWindow\[0\]: burnbook budgets over a rolling window/);
    // burnbook's absent alert as a ticket; alertWhenNoData gives it the policy's severity.
    const [plain] = slosFrom(slo('Occurrences', '{duration: 1w, isRolling: true}')) as [Slo];
    expect(plain.alerting.absent?.severity).toBe('ticket');
    const policy = (noData: boolean) =>
      `  alertPolicies:\n    - kind: AlertPolicy\n      metadata: {name: p}\n      spec:\n        alertWhenNoData: ${noData}\n        conditions:\n          - kind: AlertCondition\n            metadata: {name: fast}\n            spec: {severity: page, condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h, alertAfter: 2m}}`;
    for (const [noData, severity] of [
      [true, 'page'],
      [false, 'ticket'],
    ] as const) {
      const [withPolicy] = slosFrom(
        `${slo('Occurrences', '{duration: 30d, isRolling: true}')}\n${policy(noData)}`,
      ) as [Slo];
      expect(withPolicy.alerting.absent?.severity, `alertWhenNoData: ${noData}`).toBe(severity);
    }
    expect(errorsOf(slo('Occurrences', '{duration: 1w, isRolling: true}', 'Datadog'))).toEqual([
      '11:31 spec.indicator.spec.ratioMetric.total.metricSource: metric source type Datadog is not Prometheus',
      '10:29 spec.indicator.spec.ratioMetric.bad.metricSource: metric source type Datadog is not Prometheus',
    ]);
  });
});
