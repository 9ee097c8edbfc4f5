import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serviceDashboardUid, stableUid } from '../src/conventions/dashboards.ts';
import { checkPromql } from '../src/promql/parse.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { type Dashboard, dashboardQueries, dashboardSchema, interpolate } from './support/grafana.ts';
import { grafanaFiles } from './support/outputs.ts';
import { exampleProject } from './support/scratch.ts';
import { requireTool } from './support/tools.ts';

const EXTERNAL_URL = 'http://127.0.0.1:8080';
const examples = loadSpecs(['slos/']);
const files = grafanaFiles(examples.slos, EXTERNAL_URL);
const dashboards = files
  .filter((f) => f.path.endsWith('.json'))
  .map((f) => JSON.parse(f.content) as Dashboard);

describe('Grafana dashboards for the example SLOs', () => {
  it('are an overview and one dashboard per service, named by uid', () => {
    expect(examples.errors).toEqual([]);
    expect(files.map((f) => f.path).sort()).toEqual([
      'dashboards/burnbook-overview.json',
      'dashboards/burnbook-svc-checkout.json',
      'dashboards/burnbook-svc-ledger.json',
      'dashboards/burnbook-svc-search.json',
      'provisioning/dashboards/burnbook.yaml',
      'provisioning/datasources/prometheus.example.yaml',
    ]);
  });

  it.each(dashboards.map((d) => [d.uid, d]))(
    '%s matches the parts of the dashboard model Grafana needs',
    (_, board) => {
      const result = dashboardSchema.safeParse(board);
      expect(result.error?.issues ?? []).toEqual([]);
    },
  );

  it('the model check rejects what Grafana would not load as meant', () => {
    const board = dashboards[1] as Dashboard;
    const broken = (change: (copy: Dashboard) => void) => {
      const copy = structuredClone(board);
      change(copy);
      return dashboardSchema.safeParse(copy).success;
    };
    expect(broken(() => {})).toBe(true);
    expect(
      broken((b) =>
        Object.assign(b.panels[2] ?? {}, {
          datasource: { type: 'prometheus', uid: '$' + '{DS_PROMETHEUS}' },
        }),
      ),
    ).toBe(false);
    expect(broken((b) => Object.assign(b.panels[2] ?? {}, { gridPos: { ...b.panels[1]?.gridPos } }))).toBe(
      false,
    );
    expect(broken((b) => Object.assign(b, { uid: 'x'.repeat(41) }))).toBe(false);
    expect(broken((b) => Object.assign(b, { schemaVersion: 16 }))).toBe(false);
  });

  it('never use DS_ import inputs, which file provisioning cannot fill', () => {
    for (const f of files) expect(f.content).not.toMatch(/\$\{DS_|__inputs/);
  });

  it('have unique uids that do not change between runs', () => {
    const uids = dashboards.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    const again = grafanaFiles(loadSpecs(['slos/']).slos, EXTERNAL_URL);
    expect(again).toEqual(files);
  });

  it('every query parses as PromQL once Grafana has filled in its variables', () => {
    const queries = dashboards.flatMap((board) =>
      dashboardQueries(board).map((q) => ({ ...q, expr: interpolate(q.expr, board) })),
    );
    expect(queries.length).toBeGreaterThan(50);
    for (const q of queries) {
      expect(q.expr, q.where).not.toMatch(/\$/);
      expect(checkPromql(q.expr), `${q.where}: ${q.expr}`).toBeUndefined();
    }
  });

  it('a groupBy SLO gets a variable per group label, and its queries honour it', () => {
    const search = dashboards.find((d) => d.uid === serviceDashboardUid('search')) as Dashboard;
    expect(search.templating.list.map((v) => v.name)).toEqual(['datasource', 'tenant']);
    const sloQueries = dashboardQueries(search).filter((q) => q.expr.includes('slo="tenant-availability"'));
    expect(sloQueries.length).toBeGreaterThan(10);
    for (const q of sloQueries) expect(q.expr, q.where).toContain('tenant=~"$tenant"');
  });

  it('draws every tier at its threshold and links its runbook', () => {
    const checkout = dashboards.find((d) => d.uid === serviceDashboardUid('checkout')) as Dashboard;
    const fast = checkout.panels.find((p) => p.title.startsWith('fast tier'));
    if (fast?.type !== 'timeseries') throw new Error(`no fast tier graph, found ${fast?.type}`);
    expect(fast.fieldConfig.defaults.thresholds?.steps.map((s) => s.value)).toEqual([null, 14.4]);
    expect(fast.fieldConfig.defaults.unit).toBe('suffix:×');
    expect(fast.links?.map((l) => l.url)).toEqual([
      `${EXTERNAL_URL}/runbooks/checkout/availability-fast-burn`,
    ]);
  });

  it('provision from a directory, with a datasource example', () => {
    const provider = parse(
      files.find((f) => f.path === 'provisioning/dashboards/burnbook.yaml')?.content ?? '',
    );
    expect(provider).toMatchObject({
      apiVersion: 1,
      providers: [{ type: 'file', options: { path: expect.any(String) } }],
    });
    const datasources = parse(
      files.find((f) => f.path.startsWith('provisioning/datasources/'))?.content ?? '',
    );
    expect(datasources).toMatchObject({
      apiVersion: 1,
      datasources: [{ type: 'prometheus', isDefault: false }],
    });
  });

  it('the committed grafana/ is what generate produces now (run npm start to refresh)', () => {
    for (const f of files)
      expect(readFileSync(join('grafana', f.path), 'utf8'), `grafana/${f.path} is stale`).toBe(f.content);
  });
});

describe('stable uids', () => {
  it('are the names when they fit, and a readable start plus a hash when they do not', () => {
    expect(stableUid('burnbook', 'svc', 'checkout')).toBe('burnbook-svc-checkout');
    const long = stableUid('burnbook', 'svc', 'a-service-name-far-longer-than-grafana-allows');
    expect(long).toMatch(/^burnbook-svc-a-service-name-f-[0-9a-f]{10}$/);
    expect(long.length).toBeLessThanOrEqual(40);
    expect(stableUid('burnbook', 'svc', 'a-service-name-far-longer-than-grafana-allows-2')).not.toBe(long);
    expect(stableUid('burnbook', 'svc', 'a-service-name-far-longer-than-grafana-allows')).toBe(long);
  });
});

const BIN = resolve('bin/burnbook.js');

function burnbook(args: string[], cwd: string) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: run.status, all: `${run.stdout}${run.stderr}` };
}

describe('burnbook generate --grafana', () => {
  it('--grafana-url links every alert to its dashboard, and promtool still accepts and proves the rules', () => {
    const dir = exampleProject('grafana');
    const run = burnbook(
      [
        'generate',
        'slos/',
        '--out',
        'out/',
        '--grafana',
        'grafana/',
        '--grafana-url',
        'https://grafana.test/',
      ],
      dir,
    );
    expect(run.all).toMatch(
      /3 rule files and 4 promtool tests for 5 SLOs in out\/ and 4 dashboards in grafana\//,
    );
    expect(run.code).toBe(0);

    const search = JSON.parse(readFileSync(join(dir, 'grafana/dashboards/burnbook-svc-search.json'), 'utf8'));
    const rules = parse(readFileSync(join(dir, 'out/search.yaml'), 'utf8'));
    const alerts = rules.groups.flatMap((g: { rules: Array<{ alert?: string }> }) =>
      g.rules.filter((r) => r.alert),
    );
    // Three tiers and the absent-SLI alert.
    expect(alerts).toHaveLength(4);
    for (const alert of alerts) {
      expect(alert.annotations.dashboard_url).toBe(
        `https://grafana.test/d/${search.uid}/slos-of-search?var-tenant={{ $labels.tenant }}`,
      );
    }
    expect(readFileSync(join(dir, 'out/checkout.yaml'), 'utf8')).toContain(
      'dashboard_url: https://grafana.test/d/burnbook-svc-checkout/slos-of-checkout\n',
    );

    const promtool = requireTool('promtool');
    const ruleFiles = ['checkout', 'ledger', 'search'].map((s) => join(dir, `out/${s}.yaml`));
    const check = spawnSync(promtool, ['check', 'rules', ...ruleFiles], { encoding: 'utf8' });
    expect(check.stdout.match(/SUCCESS/g), check.stderr).toHaveLength(3);
    expect(check.status).toBe(0);
    // The generated test expects the link Prometheus renders for the burning tenant.
    const test = spawnSync(promtool, ['test', 'rules', 'tests/search.tenant-availability.test.yaml'], {
      cwd: join(dir, 'out'),
      encoding: 'utf8',
    });
    expect(`${test.stdout}${test.stderr}`).toMatch(/SUCCESS/);
  });

  it('removes dashboards no SLO produces any more, never files it did not write', () => {
    const dir = exampleProject('grafana');
    expect(burnbook(['generate', 'slos/', '--out', 'out/', '--grafana', 'grafana/'], dir).code).toBe(0);
    writeFileSync(join(dir, 'grafana/dashboards/hand-made.json'), '{"title": "mine"}\n');
    rmSync(join(dir, 'slos/ledger.yaml'));
    const run = burnbook(['generate', 'slos/', '--out', 'out/', '--grafana', 'grafana/'], dir);
    expect(run.code).toBe(0);
    expect(run.all).toMatch(/removed .*burnbook-svc-ledger\.json/);
    expect(readdirSync(join(dir, 'grafana/dashboards')).sort()).toEqual([
      'burnbook-overview.json',
      'burnbook-svc-checkout.json',
      'burnbook-svc-search.json',
      'hand-made.json',
    ]);
    expect(existsSync(join(dir, 'grafana/provisioning/dashboards/burnbook.yaml'))).toBe(true);
  });
});
