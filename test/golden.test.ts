import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GrafanaUrls } from '../src/conventions/dashboards.ts';
import { SiteUrls, tierPath } from '../src/conventions/urls.ts';
import { alertmanagerOutput } from '../src/outputs/alertmanager/output.ts';
import { grafanaOutput } from '../src/outputs/grafana/output.ts';
import { type Output, renderedFiles } from '../src/outputs/output.ts';
import { promtoolTestsOutput, rulesOutput } from '../src/outputs/rules/output.ts';
import type { Tier } from '../src/policy/tiers.ts';
import { exportSite } from '../src/server/export.ts';
import { staticFile } from '../src/server/links.ts';
import { SLI_KINDS } from '../src/sli/index.ts';
import { loadSpecs } from '../src/spec/load.ts';
import type { Slo } from '../src/spec/model.ts';
import { requireTool } from './support/tools.ts';

/**
 * Golden cases: each `test/golden/<case>/spec.yaml` and, under `expected/`, every file burnbook makes of it
 * (rule files, promtool tests, the Alertmanager snippet, dashboards, the first tier's and the absent-SLI
 * alert's runbook pages of each SLO), compared whole, byte for byte. A change to what burnbook generates shows here as a diff to review.
 *
 *   BURNBOOK_UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts     rewrites every expected/ from the code
 */

const GOLDEN = resolve('test/golden');
const UPDATE = Boolean(process.env.BURNBOOK_UPDATE_GOLDEN);
const EXTERNAL_URL = 'http://burnbook.test';
const GRAFANA_URL = 'http://grafana.test';
// A directory without templates or pages: runbook pages come from the bundled templates alone.
const NO_RUNBOOKS = join(GOLDEN, 'no-runbooks');

const cases = readdirSync(GOLDEN, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/** Every file burnbook generates for a case, by path under `expected/`. */
async function generated(slos: Slo[]): Promise<Map<string, string>> {
  const urls = new SiteUrls(EXTERNAL_URL);
  const alerts = { urls, grafana: new GrafanaUrls(GRAFANA_URL) };
  const outputs: Array<[string, Output]> = [
    ['rules', rulesOutput({ dir: 'rules', alerts })],
    ['rules', promtoolTestsOutput({ dir: 'rules', alerts })],
    ['', alertmanagerOutput({ file: 'alertmanager.yaml', urls })],
    ['grafana', grafanaOutput({ dir: 'grafana', urls })],
  ];
  const files = new Map<string, string>();
  for (const [dir, output] of outputs) {
    for (const file of renderedFiles(output, slos)) {
      if (file.path.startsWith('provisioning/')) continue;
      files.set(join(dir, file.path), file.content);
    }
  }
  const site = await exportSite({ slos, runbooksDir: NO_RUNBOOKS });
  for (const slo of slos) {
    for (const alert of [
      slo.alerting.tiers[0] as Tier,
      ...(slo.alerting.absent ? [slo.alerting.absent] : []),
    ]) {
      const page = staticFile(tierPath(slo, alert), 'md')?.slice(1) as string;
      files.set(page, site.get(page) ?? `no page ${page}`);
    }
  }
  return files;
}

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();
  } catch {
    return [];
  }
}

function loadCase(name: string): Slo[] {
  const { slos, errors } = loadSpecs([join('test/golden', name, 'spec.yaml')]);
  expect(errors).toEqual([]);
  return slos;
}

/** Runs promtool on each file, two at a time per core; resolves with the failures' output. */
async function promtoolFailures(args: (file: string) => string[], files: string[]): Promise<string[]> {
  const promtool = requireTool('promtool');
  const failures: string[] = [];
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const child = spawn(promtool, args(file), { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const code = await new Promise((done) => child.once('close', done));
      if (code !== 0) failures.push(`${file}:\n${output}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  return failures;
}

describe('golden cases: whole generated files for specs that cover every feature', () => {
  it('cover every SLI kind, groupBy, minEvents, custom tiers, periods and absent alerts, in a known number of cases', () => {
    // Adding a case (or an SLI kind, which needs one) means updating this count on purpose.
    expect(cases).toHaveLength(12);
    const slos = cases.flatMap(loadCase);
    const defaultTier = { fast: 60, slow: 360, 'very-slow': 4320 } as Record<string, number>;
    expect(new Set(slos.map((s) => s.sli.kind))).toEqual(new Set(Object.keys(SLI_KINDS)));
    expect(slos.some((s) => s.groupBy.length > 1)).toBe(true);
    expect(slos.some((s) => s.minEvents !== undefined && s.groupBy.length > 0)).toBe(true);
    expect(slos.some((s) => s.alerting.tiers.some((t) => defaultTier[t.name] !== t.longMs / 60_000))).toBe(
      true,
    );
    expect(new Set(slos.map((s) => s.periodMs / 86_400_000))).toEqual(new Set([30, 28, 7]));
    expect(slos.some((s) => s.alerting.name !== s.name)).toBe(true);
    // What imported specs use: one alert name for all tiers (with a generated test), labels for one
    // severity, a silent severity, per-SLO labels.
    expect(slos.some((s) => s.alerting.alertname !== undefined && s.sli.kind === 'ratio')).toBe(true);
    expect(slos.some((s) => Object.keys(s.alerting.severities).length > 0)).toBe(true);
    expect(slos.some((s) => s.alerting.silent.length > 0)).toBe(true);
    // The absent-SLI alert: by default, switched off, and set by hand on a latency SLI with groupBy.
    expect(slos.some((s) => s.alerting.absent?.severity === 'ticket')).toBe(true);
    expect(slos.some((s) => s.alerting.absent === undefined)).toBe(true);
    expect(
      slos.some(
        (s) => s.alerting.absent?.severity === 'page' && s.sli.kind === 'latency' && s.groupBy.length,
      ),
    ).toBe(true);
    // Beside a shared tier alert name, the absent alert's shared one (Pyrra's SLOMetricAbsent).
    expect(slos.some((s) => s.alerting.alertname && s.alerting.absent?.alertname === 'SLOMetricAbsent')).toBe(
      true,
    );
  });

  it.each(cases)('%s: every file is what the code generates now', async (name) => {
    const expectedDir = join(GOLDEN, name, 'expected');
    const files = await generated(loadCase(name));
    if (UPDATE) {
      rmSync(expectedDir, { recursive: true, force: true });
      for (const [path, content] of files) {
        mkdirSync(dirname(join(expectedDir, path)), { recursive: true });
        writeFileSync(join(expectedDir, path), content);
      }
    }
    expect(filesUnder(expectedDir), `run BURNBOOK_UPDATE_GOLDEN=1 for ${name}`).toEqual(
      [...files.keys()].sort(),
    );
    for (const [path, content] of files) {
      const expected = readFileSync(join(expectedDir, path), 'utf8');
      expect(content, `${name}/expected/${path} (BURNBOOK_UPDATE_GOLDEN=1 rewrites it)`).toBe(expected);
    }
  });

  it('every expected rule file passes promtool check rules, and every expected promtool test passes', async () => {
    const under = (pattern: RegExp) =>
      cases.flatMap((name) =>
        filesUnder(join(GOLDEN, name, 'expected/rules'))
          .filter((f) => pattern.test(f))
          .map((f) => join(GOLDEN, name, 'expected/rules', f)),
      );
    const rules = under(/^[^/]+\.yaml$/);
    const tests = under(/^tests\//);
    expect(rules.length).toBeGreaterThanOrEqual(cases.length);
    expect(await promtoolFailures((file) => ['check', 'rules', file], rules)).toEqual([]);
    expect(await promtoolFailures((file) => ['test', 'rules', file], tests)).toEqual([]);
  }, 300_000);
});
