import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { burnbook } from './support/cli.ts';
import { requireTool } from './support/tools.ts';

/**
 * Specs from the field that burnbook got wrong: each input (rebuilt from a report) as the user wrote
 * it, run through the CLI as the user runs it, and checked against real promtool.
 */

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'burnbook-case-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function promtoolTest(dir: string, file: string): string {
  const run = spawnSync(requireTool('promtool'), ['test', 'rules', file], { cwd: dir, encoding: 'utf8' });
  return `${run.status}\n${run.stdout}${run.stderr}`;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('cases from the field', () => {
  it('le-long-bucket: a Micrometer bucket keeps its digits, and a 50% slow burn pages', () => {
    const dir = project({
      'spec.yaml': `apiVersion: burnbook/v1
service: orders
slos:
  - name: latency
    objective: 99
    sli:
      latency:
        histogram: http_server_requests_seconds{job="orders"}
        threshold: 0.268435456
`,
      'scenario.test.yaml': `rule_files: [generated/orders.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: http_server_requests_seconds_count{job="orders"}
        values: 0+100x150
      - series: http_server_requests_seconds_bucket{job="orders", le="0.268435456"}
        values: 0+50x150
      - series: http_server_requests_seconds_bucket{job="orders", le="+Inf"}
        values: 0+100x150
    promql_expr_test:
      - expr: slo:sli_error:ratio_rate5m{slo_service="orders", slo="latency"}
        eval_time: 70m
        exp_samples:
          - labels: slo:sli_error:ratio_rate5m{slo_service="orders", slo="latency"}
            value: 0.5
      # The field report's alert_rule_test, without the annotations it cannot know: the alert fires.
      - expr: ALERTS{alertname="latency-fast-burn", alertstate="firing"}
        eval_time: 70m
        exp_samples:
          - labels: ALERTS{alertname="latency-fast-burn", alertstate="firing", slo_service="orders", slo="latency", slo_tier="fast", severity="page"}
            value: 1
`,
    });
    expect(burnbook(['generate', 'spec.yaml', '--out', 'generated'], {}, dir).code).toBe(0);
    expect(readFileSync(join(dir, 'generated/orders.yaml'), 'utf8')).toContain('le="0.268435456"');
    expect(promtoolTest(dir, 'scenario.test.yaml')).toMatch(/^0\n/);
  });

  it('promql-escapes: \\x2e is decoded as Prometheus decodes it; \\d is an error at its column', () => {
    const hex = `apiVersion: burnbook/v1
service: api
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: 'http_requests_total{job="api", host=~"api\\x2eexample\\x2ecom", code=~"5.."}'
        total: 'http_requests_total{job="api", host=~"api\\x2eexample\\x2ecom"}'
`;
    const dir = project({
      'hex.yaml': hex,
      'bad/bad.yaml': hex.replaceAll('host=~"api\\x2eexample\\x2ecom"', 'path=~"/v1/items/\\d+"'),
    });
    const ok = burnbook(['generate', 'hex.yaml', '--out', 'out'], {}, dir);
    expect(ok.all).not.toMatch(/\n\s+at /);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(dir, 'out/api.yaml'), 'utf8')).toContain('host=~"api.example.com"');
    const bad = burnbook(['validate', 'bad'], {}, dir);
    expect(bad.code).toBe(1);
    expect(bad.all).not.toMatch(/\n\s+at /);
    expect(bad.stderr).toContain(
      'bad/bad.yaml:8:66  slos[0].sli.ratio.errors: PromQL does not parse: unknown escape sequence \\d',
    );
    expect(bad.stderr).toMatch(/hint: .*backtick/);
  });

  it('float-noise: every number burnbook prints reads as a person writes it', () => {
    const sli = `sli: {ratio: {errors: 'req_total{code="500"}', total: req_total}}`;
    const dir = project({
      'spec.yaml': `apiVersion: burnbook/v1
service: nines
slos:
  - {name: three-nines, objective: 99.9, period: 28d, ${sli}}
  - {name: three-and-a-half, objective: 99.95, period: 28d, ${sli}}
  - {name: four-nines, objective: 99.99, ${sli}}
  - {name: five-nines, objective: 99.999, ${sli}}
  - {name: six-nines, objective: 99.9999, period: 90d, ${sli}}
  - {name: seven-nines, objective: 99.99999, ${sli}}
  - {name: odd, objective: 97.3, period: 7d, ${sli}}
  - {name: latency-odd, objective: 99.7, period: 14d, sli: {latency: {histogram: 'req_seconds{job="x"}', threshold: 0.35}}}
`,
    });
    const run = burnbook(
      ['generate', 'spec.yaml', '--out', 'out', '--grafana', 'grafana', '--alertmanager', 'am/burnbook.yaml'],
      {},
      dir,
    );
    expect(run.code, run.all).toBe(0);
    const text = allFiles(dir)
      .filter((f) => !f.endsWith('spec.yaml'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(text).toContain('vector(0.000001)');
    expect(text.match(/\d*\.\d*([1-9]0{5,}[1-9]|[0-8]9{5,}[0-8])\d*/g) ?? []).toEqual([]);
  });

  it('joined-name-collision: api + http-errors and api-http + errors both generate and both prove their tiers', () => {
    const slo = (service: string, name: string, metric: string) => `apiVersion: burnbook/v1
service: ${service}
slos:
  - name: ${name}
    objective: 99.9
    sli:
      ratio:
        errors: ${metric}{code=~"5.."}
        total: ${metric}
`;
    const dir = project({
      'specs/api.yaml': slo('api', 'http-errors', 'http_requests_total'),
      'specs/api-http.yaml': slo('api-http', 'errors', 'edge_requests_total'),
    });
    expect(burnbook(['validate', 'specs'], {}, dir).code).toBe(0);
    const run = burnbook(['generate', 'specs', '--out', 'out'], {}, dir);
    expect(run.code, run.all).toBe(0);
    const tests = readdirSync(join(dir, 'out/tests')).sort();
    expect(tests).toEqual(['api-http.errors.test.yaml', 'api.http-errors.test.yaml']);
    for (const t of tests) expect(promtoolTest(join(dir, 'out/tests'), t)).toMatch(/^0\n/);
  });

  it('annotation-templates: generated tests expect what Prometheus renders; {{ team }} is a spec error', () => {
    const dir = project({
      'ok/spec.yaml': `apiVersion: burnbook/v1
service: payments
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: http_requests_total{job="payments", code=~"5.."}
        total: http_requests_total{job="payments"}
    groupBy: [region]
    alerting:
      tiers: [fast]
      annotations:
        note: 'Region {{ $labels.region }} is failing {{ $value | humanizePercentage }} of payments'
`,
      'bad/spec.yaml': `apiVersion: burnbook/v1
service: payments2
labels:
  team: "Équipe \\"paiements\\" ✓"
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: http_requests_total{job="payments", code=~"5.."}
        total: http_requests_total{job="payments"}
    alerting:
      labels:
        owner: "{{ team }}"
      annotations:
        playbook: "https://wiki.example.com/display/OPS/{{ page }}"
`,
    });
    const run = burnbook(['generate', 'ok', '--out', 'out'], {}, dir);
    expect(run.code, run.all).toBe(0);
    expect(readFileSync(join(dir, 'out/tests/payments.availability.test.yaml'), 'utf8')).toContain(
      'note: Region burning is failing 2.88% of payments',
    );
    expect(promtoolTest(join(dir, 'out/tests'), 'payments.availability.test.yaml')).toMatch(/^0\n/);
    const bad = burnbook(['validate', 'bad'], {}, dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad/spec.yaml:14:17  slos[0].alerting.labels.owner: ');
    expect(bad.stderr).toContain('function "team" not defined');
    expect(bad.stderr).toContain('bad/spec.yaml:16:57  slos[0].alerting.annotations.playbook: ');
  });

  it('query-sli-groupby: a sum() that drops tenant is refused with the query that keeps it, which then pages per tenant', () => {
    const spec = (errors: string, total: string) => `apiVersion: burnbook/v1
service: api
slos:
  - name: tenant-availability
    objective: 99.9
    sli:
      query:
        errors: ${errors}
        total: ${total}
    groupBy: [tenant]
    alerting: {tiers: [fast]}
`;
    const dir = project({
      'bad/spec.yaml': spec(
        'sum(rate(http_requests_total{job="api", code=~"5.."}[{{window}}]))',
        'sum(rate(http_requests_total{job="api"}[{{window}}]))',
      ),
    });
    const bad = burnbook(['validate', 'bad'], {}, dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad/spec.yaml:8:17  slos[0].sli.query.errors: ');
    const fixed = [...bad.stderr.matchAll(/hint: keep the label: (.*)/g)].map((m) => m[1] as string);
    expect(fixed).toEqual([
      'sum by (tenant) (rate(http_requests_total{job="api", code=~"5.."}[{{window}}]))',
      'sum by (tenant) (rate(http_requests_total{job="api"}[{{window}}]))',
    ]);
    writeFileSync(join(dir, 'spec.yaml'), spec(fixed[0] as string, fixed[1] as string));
    writeFileSync(
      join(dir, 'scenario.test.yaml'),
      `rule_files: [generated/api.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - {series: 'http_requests_total{job="api", tenant="acme", code="200"}', values: 0+50x150}
      - {series: 'http_requests_total{job="api", tenant="acme", code="500"}', values: 0+50x150}
      - {series: 'http_requests_total{job="api", tenant="globex", code="200"}', values: 0+10000x150}
    promql_expr_test:
      - expr: slo:sli_error:ratio_rate5m{slo_service="api"}
        eval_time: 70m
        exp_samples:
          - {labels: 'slo:sli_error:ratio_rate5m{slo_service="api", slo="tenant-availability", tenant="acme"}', value: 0.5}
          - {labels: 'slo:sli_error:ratio_rate5m{slo_service="api", slo="tenant-availability", tenant="globex"}', value: 0}
      - expr: count(ALERTS{alertname="tenant-availability-fast-burn", alertstate="firing"}) by (tenant)
        eval_time: 70m
        exp_samples:
          - {labels: '{tenant="acme"}', value: 1}
`,
    );
    expect(burnbook(['generate', 'spec.yaml', '--out', 'generated'], {}, dir).code).toBe(0);
    expect(promtoolTest(dir, 'scenario.test.yaml')).toMatch(/^0\n/);
  });

  it('yaml-anchors: 150 SLOs sharing one alerting block by anchor load and generate', () => {
    const slos = Array.from(
      { length: 150 },
      (_, i) => `  - name: s${i}
    objective: 99.5
    sli: {ratio: {errors: 'x_total{code="500",i="${i}"}', total: 'x_total{i="${i}"}'}}
    alerting: ${i === 0 ? '&common {labels: {team: payments}, tiers: [fast, slow]}' : '*common'}`,
    ).join('\n');
    const dir = project({ 'a.yaml': `apiVersion: burnbook/v1\nservice: shared\nslos:\n${slos}\n` });
    const valid = burnbook(['validate', 'a.yaml'], {}, dir);
    expect(valid.code, valid.all).toBe(0);
    expect(valid.stdout).toContain('150 SLOs in 1 files are valid');
    const run = burnbook(['generate', 'a.yaml', '--out', 'out'], {}, dir);
    expect(run.code, run.all).toBe(0);
    expect(readFileSync(join(dir, 'out/shared.yaml'), 'utf8').match(/alert: s\d+-fast-burn/g)).toHaveLength(
      150,
    );
  });
  it('period-7d: default tiers on a 7-day period stay quiet at burn 0.3, and the period burn rate reads 0.3', () => {
    // The field report's scenario: 4 days at 0.03% errors on a 99.9% SLO, 30% of the budget's pace. The
    // very-slow tier fired (its factor was 0.233); now its windows scale with the period. Evaluated every 10m
    // instead of the report's 1m: the same verdict, in seconds instead of a minute (5,760 evaluations of a
    // 7-day window).
    const dir = project({
      'spec.yaml': `# A team that reviews its SLOs weekly: 7-day period, default tiers.
apiVersion: burnbook/v1
service: billing
slos:
  - name: availability
    objective: 99.9
    period: 7d
    sli:
      ratio:
        errors: billing_requests_total{job="billing", code=~"5.."}
        total: billing_requests_total{job="billing"}
`,
      'scenario.test.yaml': `rule_files: [generated/billing.yaml]
evaluation_interval: 10m
tests:
  - interval: 1m
    input_series:
      - series: billing_requests_total{job="billing", code="200"}
        values: 0+9997x5760
      - series: billing_requests_total{job="billing", code="500"}
        values: 0+3x5760
    promql_expr_test:
      - expr: round(slo:period_burn_rate:ratio, 0.01)
        eval_time: 4d
        exp_samples:
          - {labels: '{slo_service="billing", slo="availability"}', value: 0.3}
      # No tier pends or fires at any point of the four days.
      - expr: count(ALERTS{slo="availability"})
        eval_time: 1d
        exp_samples: []
      - expr: count(ALERTS{slo="availability"})
        eval_time: 4d
        exp_samples: []
    alert_rule_test:
      - eval_time: 4d
        alertname: availability-very-slow-burn
        exp_alerts: []
`,
    });
    expect(burnbook(['generate', 'spec.yaml', '--out', 'generated'], {}, dir).code).toBe(0);
    const rules = readFileSync(join(dir, 'generated/billing.yaml'), 'utf8');
    expect(rules).toContain('burning its error budget 1.00299× too fast');
    expect(rules).not.toMatch(/burning its error budget 0\.\d+× too fast/);
    expect(promtoolTest(dir, 'scenario.test.yaml')).toMatch(/^0\n/);
  });

  it('missing-bucket: a threshold that is no bucket reads no data, never a perfect 0, and the absent-SLI alert fires', () => {
    const spec = (
      threshold: string,
    ) => `# The team wants "answers within 300 ms", but the histogram has buckets 0.1, 0.25, 0.5, 1, +Inf.
apiVersion: burnbook/v1
service: search
slos:
  - name: latency
    objective: 99
    sli:
      latency:
        histogram: search_request_duration_seconds{job="search"}
        threshold: ${threshold}
    alerting: {tiers: [fast]}
`;
    // Every request takes longer than 1 s for 2.5 hours: all observations land in le="+Inf".
    const series = `    input_series:
      - series: search_request_duration_seconds_count{job="search"}
        values: 0+100x150
      - series: search_request_duration_seconds_bucket{job="search", le="0.1"}
        values: 0+0x150
      - series: search_request_duration_seconds_bucket{job="search", le="0.25"}
        values: 0+0x150
      - series: search_request_duration_seconds_bucket{job="search", le="0.5"}
        values: 0+0x150
      - series: search_request_duration_seconds_bucket{job="search", le="1"}
        values: 0+0x150
      - series: search_request_duration_seconds_bucket{job="search", le="+Inf"}
        values: 0+100x150
`;
    const dir = project({
      'spec.yaml': spec('0.3'),
      'bucket/spec.yaml': spec('0.25'),
      'scenario.test.yaml': `rule_files: [generated/search.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
${series}    promql_expr_test:
      # The field report: no ratio at all (unknown), never a healthy 0 ...
      - expr: slo:sli_error:ratio_rate1h{slo_service="search", slo="latency"}
        eval_time: 70m
        exp_samples: []
      - expr: slo:period_error_budget_remaining:ratio{slo_service="search", slo="latency"}
        eval_time: 70m
        exp_samples: []
    alert_rule_test:
      # ... no burn alert from a number that does not exist ...
      - eval_time: 70m
        alertname: latency-fast-burn
        exp_alerts: []
      # ... and the absent-SLI alert, a ticket, once the bucket has been missing for its for (11m here).
      - eval_time: 10m
        alertname: latency-sli-absent
        exp_alerts: []
      - eval_time: 70m
        alertname: latency-sli-absent
        exp_alerts:
          - exp_labels: {slo_service: search, slo: latency, slo_tier: sli-absent, severity: ticket}
            exp_annotations:
              summary: search/latency reads no usable SLI data, so its burn-rate alerts cannot fire
              description: 'For 11m there has been no SLI to compute for search/latency. Either search_request_duration_seconds_count{job="search"} (the total) or its bucket le="0.3" matches no series, or its error ratio reads above 1 or below 0 (errors and total swapped?), or the recording rules burnbook generated for it fail (see its rule group on the /rules page of Prometheus). Until it is back the SLO reads no data and its 1 burn-rate alert cannot fire. Run burnbook validate --prometheus-url to see what is missing.'
              runbook_url: http://127.0.0.1:8080/runbooks/search/latency-sli-absent
`,
      // What a working SLI does with the same total latency outage: threshold 0.25 is a bucket.
      'bucket/scenario.test.yaml': `rule_files: [generated/search.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
${series}    promql_expr_test:
      - expr: slo:sli_error:ratio_rate1h{slo_service="search", slo="latency"}
        eval_time: 70m
        exp_samples:
          - labels: slo:sli_error:ratio_rate1h{slo_service="search", slo="latency"}
            value: 1
      - expr: ALERTS{alertname="latency-fast-burn", alertstate="firing"}
        eval_time: 70m
        exp_samples:
          - labels: ALERTS{alertname="latency-fast-burn", alertstate="firing", slo_service="search", slo="latency", slo_tier="fast", severity="page"}
            value: 1
    alert_rule_test:
      - eval_time: 70m
        alertname: latency-sli-absent
        exp_alerts: []
`,
    });
    for (const sub of ['.', 'bucket']) {
      const run = burnbook(['generate', 'spec.yaml', '--out', 'generated'], {}, join(dir, sub));
      expect(run.code, run.all).toBe(0);
      expect(promtoolTest(join(dir, sub), 'scenario.test.yaml')).toMatch(/^0\n/);
      // The tests burnbook generates for the SLO prove the same, for every latency SLO.
      expect(promtoolTest(join(dir, sub), 'generated/tests/search.latency.test.yaml')).toMatch(/^0\n/);
    }
    expect(readFileSync(join(dir, 'generated/tests/search.latency.test.yaml'), 'utf8')).toContain(
      'the error ratio reads nothing, never 0',
    );
  });
});
