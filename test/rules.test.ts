import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SiteUrls } from '../src/conventions/urls.ts';
import { ruleGroup } from '../src/outputs/rules/groups.ts';
import { checkPromql } from '../src/promql/parse.ts';
import { promtool } from '../src/promtool/promtool.ts';
import { loadSpecs, loadSpecText } from '../src/spec/load.ts';
import type { Slo } from '../src/spec/model.ts';
import { alertmanagerFile, promtoolTestFiles, ruleFiles } from './support/outputs.ts';
import { slosFrom } from './support/promtool-scenario.ts';
import { requireTool } from './support/tools.ts';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

const examples = loadSpecs(['slos/']);
// What `npm start` generates the committed rules/ with.
const COMMITTED_URL = 'http://127.0.0.1:8080';

/** Every file under a committed output directory, relative to it. */
function committed(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}
const files = ruleFiles(examples.slos);
const rulesOf = (service: string): Rule[] => {
  const file = files.find((f) => f.path === `${service}.yaml`);
  return (parse(file?.content ?? '') as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
};

describe('generated rules for the example SLOs', () => {
  it('loads the examples without errors', () => {
    expect(examples.errors).toEqual([]);
    expect(examples.slos.length).toBeGreaterThanOrEqual(4);
  });

  it('passes promtool check rules, every file', () => {
    requireTool('promtool');
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-check-'));
    const paths = files.map((f) => join(dir, f.path));
    for (const f of files) writeFileSync(join(dir, f.path), f.content);
    const result = promtool(['check', 'rules', ...paths]);
    expect(result?.output).toMatch(/SUCCESS/);
    expect(result?.ok).toBe(true);
  });

  it('every expression parses as PromQL', () => {
    for (const service of ['checkout', 'search', 'ledger']) {
      for (const rule of rulesOf(service)) expect(checkPromql(rule.expr), rule.expr).toBeUndefined();
    }
  });

  it('reads raw series only in the two 5m rate rules; longer windows from those recordings, centred', () => {
    const raw = rulesOf('checkout').filter((r) => /http_request/.test(r.expr));
    const perSlo = ['slo:sli_total:rate5m', 'slo:sli_errors:rate5m'];
    expect(raw.map((r) => r.record)).toEqual([...perSlo, ...perSlo]);
    const sixHours = rulesOf('checkout').find((r) => r.record === 'slo:sli_error:ratio_rate6h');
    expect(sixHours?.expr).toContain(
      'avg_over_time(slo:sli_errors:rate5m{slo_service="checkout", slo="availability"}[5h55m] offset 2m30s)',
    );
  });

  it('names alerts <name>-<tier>-burn and <name>-sli-absent with the labels routing depends on', () => {
    const alerts = rulesOf('checkout').filter((r) => r.alert?.startsWith('availability-'));
    expect(alerts.map((a) => a.alert)).toEqual([
      'availability-fast-burn',
      'availability-slow-burn',
      'availability-very-slow-burn',
      'availability-sli-absent',
    ]);
    expect(alerts.map((a) => [a.labels.slo_tier, a.labels.severity])).toEqual([
      ['fast', 'page'],
      ['slow', 'page'],
      ['very-slow', 'ticket'],
      ['sli-absent', 'ticket'],
    ]);
    for (const a of alerts) {
      expect(a.labels).toMatchObject({ slo_service: 'checkout', slo: 'availability', team: 'payments' });
      expect(a.annotations?.runbook_url).toBe(`http://burnbook.test/runbooks/checkout/${a.alert}`);
    }
  });

  it('a shared alert name: the absent alert shares one too (SLOMetricAbsent, or its own), pages keep burnbook names', () => {
    const spec = (alerting: string) =>
      `apiVersion: burnbook/v1\nservice: web\nslos:\n  - name: api\n    objective: 99.5\n    sli: {ratio: {errors: 'h{code="500"}', total: 'h'}}\n    alerting: ${alerting}\n`;
    const alertsOf = (alerting: string) => {
      const { slos, errors } = loadSpecText(spec(alerting), 'web.yaml');
      expect(errors).toEqual([]);
      const urls = new SiteUrls('http://burnbook.test');
      return ruleGroup(slos[0] as Slo, { urls })
        .rules.filter((r) => 'alert' in r)
        .map((r) => [
          r.alert,
          r.labels.slo_tier,
          r.labels.severity,
          r.annotations.runbook_url?.split('/').pop(),
        ]);
    };
    expect(alertsOf('{alertname: ErrorBudgetBurn, tiers: [fast]}')).toEqual([
      ['ErrorBudgetBurn', 'fast', 'page', 'api-fast-burn'],
      ['SLOMetricAbsent', 'sli-absent', 'ticket', 'api-sli-absent'],
    ]);
    expect(
      alertsOf('{alertname: ErrorBudgetBurn, tiers: [fast], absent: {alertname: ApiSliGone}}'),
    ).toContainEqual(['ApiSliGone', 'sli-absent', 'ticket', 'api-sli-absent']);
    // disabled silences the burn tiers only; a disabled severity drops every alert of it, the absent one too.
    expect(alertsOf('{disabled: true}')).toEqual([
      ['api-sli-absent', 'sli-absent', 'ticket', 'api-sli-absent'],
    ]);
    expect(alertsOf('{tiers: [fast], severities: {ticket: {disabled: true}}}')).toEqual([
      ['api-fast-burn', 'fast', 'page', 'api-fast-burn'],
    ]);
  });

  it('prints numbers rounded for people, never with binary floating-point noise', () => {
    const all = [...files, ...promtoolTestFiles(examples.slos)].map((f) => f.content).join('\n');
    expect(all).not.toMatch(/\d\.\d*0000000\d|\d\.\d*9999999\d/);
  });

  it('writes an Alertmanager snippet: one group per SLO and group, a capped webhook, inhibit rules per tier name that no new SLO changes', () => {
    type Snippet = {
      route: { routes: Array<{ group_by: string[]; routes: unknown[] }> };
      receivers: Array<{ webhook_configs: Array<{ url: string; send_resolved: boolean }> }>;
      inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
    };
    const snippet = parse(alertmanagerFile(examples.slos)) as Snippet;
    expect(snippet.route.routes[0]?.group_by).toEqual(['slo_service', 'slo', 'tenant']);
    expect(snippet.receivers[0]?.webhook_configs[0]).toEqual({
      url: 'http://burnbook.test/hooks/alertmanager',
      send_resolved: true,
      max_alerts: 500,
    });
    expect(snippet.inhibit_rules.map((r) => [r.source_matchers.at(-1), r.target_matchers.at(-1)])).toEqual([
      ['slo_tier="fast"', 'slo_tier=~"slow|very-slow"'],
      ['slo_tier="slow"', 'slo_tier=~"very-slow"'],
      ['slo_tier!="sli-absent"', 'slo_tier="sli-absent"'],
    ]);
    for (const rule of snippet.inhibit_rules) expect(rule.equal).toEqual(['slo_service', 'slo', 'tenant']);
    const more = slosFrom(`apiVersion: burnbook/v1
service: another
slos:
  - {name: availability, objective: 99, sli: {ratio: {errors: 'x_total{code="500"}', total: x_total}}}
`);
    const grown = parse(alertmanagerFile([...examples.slos, ...more])) as Snippet;
    expect(grown.inhibit_rules).toEqual(snippet.inhibit_rules);
  });

  it('Alertmanager accepts the snippet as a config', () => {
    const amtool = requireTool('amtool');
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-am-'));
    const path = join(dir, 'alertmanager.yml');
    const snippet = parse(alertmanagerFile(examples.slos));
    writeFileSync(path, JSON.stringify({ ...snippet, route: { receiver: 'burnbook', ...snippet.route } }));
    const run = spawnSync(amtool, ['check-config', path], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toMatch(/SUCCESS/);
  });

  it('the committed rules/ is what generate produces now (run npm start to refresh)', () => {
    const generated = [
      ...ruleFiles(examples.slos, COMMITTED_URL),
      ...promtoolTestFiles(examples.slos, COMMITTED_URL),
    ];
    expect(generated.map((f) => f.path).sort()).toEqual(committed('rules'));
    for (const f of generated) {
      expect(readFileSync(join('rules', f.path), 'utf8'), `rules/${f.path} is stale`).toBe(f.content);
    }
    expect(readFileSync('alertmanager/burnbook.yaml', 'utf8')).toBe(
      alertmanagerFile(examples.slos, COMMITTED_URL),
    );
  });

  it('the same specs always give byte-identical files', () => {
    const again = ruleFiles(loadSpecs(['slos/search.yaml']).slos);
    const first = files.filter((f) => f.path.startsWith('search'));
    expect(again.map((f) => f.content)).toEqual(first.map((f) => f.content));
  });
});
