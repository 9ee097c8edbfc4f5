import { dirname, relative, resolve } from 'node:path';
import { codeIdentity } from '../cache/dir.ts';
import { runCache } from '../cache/entries.ts';
import { RenderedDigests } from '../cache/renders.ts';
import { specCache } from '../cache/specs.ts';
import { GrafanaUrls } from '../conventions/dashboards.ts';
import { SiteUrls } from '../conventions/urls.ts';
import { alertmanagerOutput } from '../outputs/alertmanager/output.ts';
import { mimirOutput } from '../outputs/mimir/output.ts';
import type { Output } from '../outputs/output.ts';
import { prometheusRuleOutput } from '../outputs/prometheus-rule/output.ts';
import { promtoolTestsOutput, type RulesOutputOptions, rulesOutput } from '../outputs/rules/output.ts';
import { WriteFailed } from '../outputs/write.ts';
import { OutputCheckFailed, OutputsRun } from '../outputs/write-outputs.ts';
import type { LoadResult } from '../spec/load.ts';
import { DEFAULT_EXTERNAL_URL, type FlagsOf } from './flags.ts';
import { EXIT, paint, progress, statusLine } from './terminal.ts';
import { loadOrReport } from './validate.ts';

/**
 * What the rendered files depend on besides the SLOs: the code, every flag but those saying where files go
 * (a flag added later counts by default), and the spec paths (so two trees do not evict each other's).
 */
function renderScope(paths: readonly string[], flags: FlagsOf<'generate'>): string {
  const { out, alertmanager, grafana, runbooks, ...shaping } = flags;
  const sorted = Object.entries(shaping).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([codeIdentity(), sorted, paths.map((p) => resolve(p))]);
}

/** Up to this many written or removed files are listed one per line; more are counted per directory. */
const LIST_AT_MOST = 20;

function listFiles(paths: string[], verb: string, why = ''): void {
  if (paths.length <= LIST_AT_MOST) {
    for (const path of paths) progress(`  ${verb}  ${path}${why}`);
    return;
  }
  const perDir = new Map<string, number>();
  for (const path of paths) perDir.set(dirname(path), (perDir.get(dirname(path)) ?? 0) + 1);
  for (const [dir, count] of perDir) {
    progress(`  ${verb}  ${count} files in ${relative('.', dir) || '.'}/${why}`);
  }
}

/** Kubernetes label keys and values, as the API server checks them (apimachinery validation). */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** `--rule-label key=value` flags as labels, or the first one that is not a Kubernetes label. */
function ruleLabels(given: readonly string[] = []): Record<string, string> | string {
  const labels: Record<string, string> = {};
  for (const flag of given) {
    const [key = '', ...rest] = flag.split('=');
    const value = rest.join('=');
    if (!rest.length || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      return `--rule-label ${flag}: expected key=value with a Kubernetes label name and value (release=kube-prometheus-stack)`;
    }
    labels[key] = value;
  }
  return labels;
}

/** The rule files the format asks for: plain files with their promtool tests, or the same groups wrapped. */
function ruleOutputs(flags: FlagsOf<'generate'>, opts: RulesOutputOptions) {
  if (flags.format === 'prometheus') return { rules: rulesOutput(opts), tests: promtoolTestsOutput(opts) };
  if (flags.format === 'mimir') return { rules: mimirOutput(opts) };
  if (flags.format !== 'prometheus-rule') {
    return `--format ${flags.format}: expected prometheus, prometheus-rule or mimir`;
  }
  const labels = ruleLabels(flags.ruleLabel);
  if (typeof labels === 'string') return labels;
  const rules = prometheusRuleOutput({
    ...opts,
    namePrefix: flags.ruleNamePrefix,
    labels,
    ...(flags.ruleNamespace ? { namespace: flags.ruleNamespace } : {}),
  });
  return { rules };
}

/** The outputs the flags ask for, in the order they are written: rule files first, so promtool starts early. */
async function chooseOutputs(flags: FlagsOf<'generate'>) {
  const urls = new SiteUrls(flags.externalUrl);
  const alerts = { urls, ...(flags.grafanaUrl ? { grafana: new GrafanaUrls(flags.grafanaUrl) } : {}) };
  const out = resolve(flags.out);
  const chosen = ruleOutputs(flags, { dir: out, alerts });
  if (typeof chosen === 'string') return chosen;
  const { rules, tests } = chosen;
  const alertmanager = flags.alertmanager
    ? alertmanagerOutput({ file: resolve(flags.alertmanager), urls })
    : undefined;
  // The Grafana SDK takes a fifth of a second to load: only when dashboards are asked for.
  const grafana = flags.grafana
    ? (await import('../outputs/grafana/output.ts')).grafanaOutput({ dir: resolve(flags.grafana), urls })
    : undefined;
  const all: Output[] = [
    rules,
    ...(tests ? [tests] : []),
    ...(alertmanager ? [alertmanager] : []),
    ...(grafana ? [grafana] : []),
  ];
  return { all, rules, tests, grafana };
}

/**
 * `burnbook generate`: the outputs the flags choose, written all or nothing (outputs/write-outputs.ts).
 * With `dryRun` (`validate`), everything is rendered and checked, promtool included, and nothing written.
 * Returns what was loaded, or undefined when anything failed (the exit code says what).
 */
export async function generateCommand(
  paths: string[],
  flags: FlagsOf<'generate'>,
  { dryRun = false }: { dryRun?: boolean } = {},
): Promise<LoadResult | undefined> {
  const started = Date.now();
  if (flags.alertmanager && dirname(resolve(flags.alertmanager)) === resolve(flags.out)) {
    // Prometheus is usually pointed at `<out>/*.yaml`; an Alertmanager file there stops it loading.
    console.error(
      `--alertmanager ${flags.alertmanager} is inside --out ${flags.out}, where Prometheus's rule_files glob ` +
        `would read it as a rule file and refuse to start.\n  hint: write it elsewhere, e.g. --alertmanager alertmanager/burnbook.yaml`,
    );
    process.exitCode = EXIT.usage;
    return undefined;
  }
  const outputs = await chooseOutputs(flags);
  if (typeof outputs === 'string') {
    console.error(outputs);
    process.exitCode = EXIT.usage;
    return undefined;
  }
  const command = dryRun ? 'validate' : 'generate';
  const cache = runCache();
  let reading = '';
  const loadStatus = statusLine(() => `${command}: ${reading}`);
  const loaded = loadOrReport(paths, {
    runbooksDir: flags.runbooks,
    cache: specCache(cache),
    onFile: (index, total) => {
      reading = `reading spec files: ${index} of ${total}`;
      loadStatus.tick();
    },
  });
  loadStatus.done();
  if (!loaded) {
    cache.bound();
    return undefined;
  }
  if (!dryRun) progress(`Checked ${loaded.slos.length} SLOs in ${loaded.files.length} files.`);
  const written = dryRun ? undefined : JSON.stringify(outputs.all.map((o) => resolve(o.dir)));
  const renders = new RenderedDigests(cache, renderScope(paths, flags), written);
  const run = new OutputsRun(outputs.all, loaded.slos, renders);
  const status = statusLine(() => `${command}: ${run.progress()}`);
  try {
    const report = await run.write({ dryRun });
    status.done();
    cache.bound();
    for (const warning of report.warnings) progress(paint('yellow', warning));
    if (dryRun) return loaded;
    listFiles(report.written, `${paint('green', 'wrote')}  `);
    listFiles(report.removed, paint('yellow', 'removed'), ' (no SLO produces it any more)');
    const count = (output: Output | undefined) => (output ? (report.counted.get(output) ?? 0) : 0);
    const boards = outputs.grafana ? ` and ${count(outputs.grafana)} dashboards in ${flags.grafana}` : '';
    console.log(
      `${count(outputs.rules)} ${outputs.rules.name}${outputs.tests ? ` and ${count(outputs.tests)} promtool tests` : ''} for ${loaded.slos.length} SLOs in ${flags.out}${boards} ` +
        `(${report.written.length} written, ${report.unchanged.length} unchanged) in ${Date.now() - started} ms.`,
    );
    if (flags.externalUrl === DEFAULT_EXTERNAL_URL) {
      progress(
        paint(
          'yellow',
          `Alerts link to runbooks under ${DEFAULT_EXTERNAL_URL}, the default: pass --external-url with the URL people reach burnbook at.`,
        ),
      );
    }
  } catch (error) {
    status.done();
    if (error instanceof WriteFailed) {
      console.error(`${command}: ${error.message}`);
      process.exitCode = EXIT.environment;
      return undefined;
    }
    if (!(error instanceof OutputCheckFailed)) throw error;
    console.error(error.message);
    process.exitCode = EXIT.invalid;
    return undefined;
  }
  return loaded;
}
