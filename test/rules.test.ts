import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertmanagerFile, ruleFiles } from '../src/outputs/rules/output.ts';
import { checkPromql } from '../src/promql/parse.ts';
import { promtool } from '../src/promtool/promtool.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { OPTIONS } from './support/promtool-scenario.ts';
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
const files = ruleFiles(examples.slos, OPTIONS);
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
    const paths = files.filter((f) => f.kind === 'rules').map((f) => join(dir, f.path));
    for (const f of files.filter((x) => x.kind === 'rules')) writeFileSync(join(dir, f.path), f.content);
    const result = promtool(['check', 'rules', ...paths]);
    expect(result?.output).toMatch(/SUCCESS/);
    expect(result?.ok).toBe(true);
  });

  it('every expression parses as PromQL', () => {
    for (const service of ['checkout', 'search', 'ledger']) {
      for (const rule of rulesOf(service)) expect(checkPromql(rule.expr), rule.expr).toBeUndefined();
    }
  });

  it('reads raw series only in the two 5m rate rules', () => {
    const raw = rulesOf('checkout').filter((r) => /http_request/.test(r.expr));
    expect(raw.map((r) => r.record)).toEqual([
      'slo:sli_errors:rate5m',
      'slo:sli_total:rate5m',
      'slo:sli_errors:rate5m',
      'slo:sli_total:rate5m',
    ]);
  });

  it('derives every longer window from the 5m rates, weighted by events', () => {
    const ratio = rulesOf('checkout').find((r) => r.record === 'slo:sli_error:ratio_rate6h');
    expect(ratio?.expr).toContain(
      'sum_over_time(slo:sli_errors:rate5m{slo_service="checkout", slo="availability"}[6h])',
    );
    expect(ratio?.expr).toContain(
      'sum_over_time(slo:sli_total:rate5m{slo_service="checkout", slo="availability"}[6h])',
    );
    const windows = rulesOf('checkout')
      .filter((r) => r.labels.slo === 'availability' && r.record?.startsWith('slo:sli_error:ratio_rate'))
      .map((r) => r.record?.replace('slo:sli_error:ratio_rate', ''));
    expect(windows).toEqual(['5m', '30m', '1h', '6h', '3d', '30d']);
  });

  it('names alerts <name>-<tier>-burn with the labels routing depends on', () => {
    const alerts = rulesOf('checkout').filter((r) => r.alert?.startsWith('availability-'));
    expect(alerts.map((a) => a.alert)).toEqual([
      'availability-fast-burn',
      'availability-slow-burn',
      'availability-very-slow-burn',
    ]);
    expect(alerts.map((a) => [a.labels.slo_tier, a.labels.severity])).toEqual([
      ['fast', 'page'],
      ['slow', 'page'],
      ['very-slow', 'ticket'],
    ]);
    for (const a of alerts) {
      expect(a.labels).toMatchObject({ slo_service: 'checkout', slo: 'availability', team: 'payments' });
      expect(a.annotations?.runbook_url).toBe(`http://burnbook.test/runbooks/checkout/${a.alert}`);
    }
  });

  it('prints thresholds rounded for people, in the expression and the text', () => {
    const fast = rulesOf('checkout').find((r) => r.alert === 'availability-fast-burn');
    expect(fast?.expr).toBe(
      'slo:sli_error:ratio_rate1h{slo_service="checkout", slo="availability"} > 0.072\nand\n' +
        'slo:sli_error:ratio_rate5m{slo_service="checkout", slo="availability"} > 0.072',
    );
    expect(fast?.annotations?.description).toMatch(/above 0\.072 \(14\.4 × the 0\.5% error budget/);
    expect(fast?.annotations?.description).toMatch(/gone in 50 h/);
    const all = files.map((f) => f.content).join('\n');
    expect(all).not.toMatch(/\d\.\d*0000000\d|\d\.\d*9999999\d/);
  });

  it('gives a 28d period with custom tiers the factors the formula gives', () => {
    const ledger = rulesOf('ledger').filter((r) => r.alert?.startsWith('ledger-writes-'));
    // 99.95%: budget 0.0005; factors 13.44, 5.6, 0.9333 at 28d.
    expect(ledger.map((r) => /> ([\d.]+)/.exec(r.expr)?.[1])).toEqual(['0.00672', '0.0028', '0.000466667']);
    expect(ledger.map((r) => r.for)).toEqual(['1m', '10m', '30m']);
    expect(ledger[0]?.annotations?.summary).toMatch(/13\.44× too fast/);
    expect(ledger[0]?.annotations?.playbook).toBe('https://wiki.example.com/ledger/writes');
  });

  it('keeps groupBy labels end to end and guards alerts with minEvents', () => {
    const rules = rulesOf('search');
    expect(rules.find((r) => r.record === 'slo:sli_errors:rate5m')?.expr).toMatch(
      /^sum by \(tenant\) \(rate\(/,
    );
    const fast = rules.find((r) => r.alert === 'tenant-availability-fast-burn');
    expect(fast?.expr).toContain(
      'avg_over_time(slo:sli_total:rate5m{slo_service="search", slo="tenant-availability"}[1h]) * 3600 >= 100',
    );
    expect(fast?.annotations?.summary).toContain('tenant={{ $labels.tenant }}');
    expect(fast?.labels.component).toBe('query-frontend');
  });

  it('writes an Alertmanager snippet: webhook receiver, and faster tiers inhibit slower ones per SLO and group', () => {
    const snippet = parse(alertmanagerFile(examples.slos, 'http://burnbook.test')) as {
      receivers: Array<{ webhook_configs: Array<{ url: string; send_resolved: boolean }> }>;
      inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
    };
    expect(snippet.receivers[0]?.webhook_configs[0]).toEqual({
      url: 'http://burnbook.test/hooks/alertmanager',
      send_resolved: true,
    });
    const search = snippet.inhibit_rules.filter((r) => r.source_matchers.includes('slo_service="search"'));
    expect(search.map((r) => [r.source_matchers.at(-1), r.target_matchers.at(-1)])).toEqual([
      ['slo_tier="fast"', 'slo_tier=~"slow|very-slow"'],
      ['slo_tier="slow"', 'slo_tier=~"very-slow"'],
    ]);
    expect(search[0]?.equal).toEqual(['slo_service', 'slo', 'tenant']);
  });

  it('Alertmanager accepts the snippet as a config', () => {
    const amtool = requireTool('amtool');
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-am-'));
    const path = join(dir, 'alertmanager.yml');
    const snippet = parse(alertmanagerFile(examples.slos, 'http://burnbook.test'));
    writeFileSync(path, JSON.stringify({ ...snippet, route: { receiver: 'burnbook', ...snippet.route } }));
    const run = spawnSync(amtool, ['check-config', path], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toMatch(/SUCCESS/);
  });

  it('the committed rules/ is what generate produces now (run npm start to refresh)', () => {
    for (const f of ruleFiles(examples.slos, { externalUrl: 'http://127.0.0.1:8080' })) {
      expect(readFileSync(join('rules', f.path), 'utf8'), `rules/${f.path} is stale`).toBe(f.content);
    }
    expect(readFileSync('alertmanager/burnbook.yaml', 'utf8')).toBe(
      alertmanagerFile(examples.slos, 'http://127.0.0.1:8080'),
    );
  });

  it('the same specs always give byte-identical files', () => {
    const again = ruleFiles(loadSpecs(['slos/search.yaml']).slos, OPTIONS);
    const first = files.filter((f) => f.path.startsWith('search') || f.path.includes('tests/search'));
    expect(again.map((f) => f.content)).toEqual(first.map((f) => f.content));
  });
});
