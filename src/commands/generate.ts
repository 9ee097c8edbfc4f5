import { dirname, relative, resolve } from 'node:path';
import { grafanaAlertOptions } from '../grafana/links.ts';
import type { AlertOptions } from '../rules/alerting.ts';
import { byService } from '../rules/groups.ts';
import { alertmanagerFile, eachRuleFile } from '../rules/output.ts';
import { PROMTOOL_MISSING } from '../rules/promtool.ts';
import { PromtoolPool } from '../rules/promtool-pool.ts';
import { WriteFailed, writeAtomically } from '../rules/write.ts';
import type { LoadResult } from '../spec/load.ts';
import { EXIT, paint, progress, statusLine } from './terminal.ts';
import { loadOrReport } from './validate.ts';

export interface GenerateOptions {
  out: string;
  externalUrl: string;
  alertmanager?: string;
  /** Directory for Grafana dashboards and provisioning files. */
  grafana?: string;
  /** Where Grafana serves those dashboards: alerts then link to them (`dashboard_url`). */
  grafanaUrl?: string;
  /** Where specs' runbook files may be, besides their repository. */
  runbooks: string;
  /** `validate`: render and check everything, promtool included, and write nothing. */
  dryRun?: boolean;
}

class CheckFailed extends Error {}

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

/**
 * Renders every file lazily and writes it through the atomic writer; each rule file is handed to a pool
 * of promtool processes the moment it is staged, so checking runs while the rest is rendered and
 * written. Nothing is renamed into place unless every rule file passed.
 */
export async function generateCommand(
  paths: string[],
  opts: GenerateOptions,
): Promise<LoadResult | undefined> {
  const started = Date.now();
  if (opts.alertmanager && dirname(resolve(opts.alertmanager)) === resolve(opts.out)) {
    // Prometheus is usually pointed at `<out>/*.yaml`; an Alertmanager file there stops it loading.
    console.error(
      `--alertmanager ${opts.alertmanager} is inside --out ${opts.out}, where Prometheus's rule_files glob ` +
        `would read it as a rule file and refuse to start.\n  hint: write it elsewhere, e.g. --alertmanager alertmanager/burnbook.yaml`,
    );
    process.exitCode = EXIT.usage;
    return;
  }
  const loaded = loadOrReport(paths, { runbooksDir: opts.runbooks });
  if (!loaded) return undefined;
  const { slos } = loaded;
  if (!opts.dryRun) progress(`Checked ${loaded.slos.length} SLOs in ${loaded.files.length} files.`);
  const { grafanaUrl } = opts;
  const alertOptions: AlertOptions = {
    externalUrl: opts.externalUrl,
    ...(grafanaUrl ? grafanaAlertOptions(grafanaUrl) : {}),
  };
  const out = resolve(opts.out);
  const pruneDirs = [out, ...(opts.grafana ? [resolve(opts.grafana)] : [])];
  // The Grafana SDK takes a fifth of a second to load: only when dashboards are asked for.
  const grafana = opts.grafana ? await import('../grafana/output.ts') : undefined;
  const counts = { rules: 0, test: 0, alertmanager: 0, dashboards: 0, files: 0 };
  const rulePaths = new Set<string>();

  function* files(): Generator<[string, string]> {
    for (const f of eachRuleFile(slos, alertOptions)) {
      const path = resolve(out, f.path);
      if (f.kind === 'rules') rulePaths.add(path);
      counts[f.kind]++;
      counts.files++;
      yield [path, f.content];
    }
    if (opts.alertmanager) {
      counts.files++;
      yield [resolve(opts.alertmanager), alertmanagerFile(slos, opts.externalUrl)];
    }
    if (opts.grafana && grafana) {
      const dir = resolve(opts.grafana);
      for (const f of grafana.grafanaFiles(slos, { externalUrl: opts.externalUrl })) {
        if (f.path.endsWith('.json')) counts.dashboards++;
        counts.files++;
        yield [resolve(dir, f.path), f.content];
      }
    }
  }

  const pool = new PromtoolPool();
  // promtool names the files it checked; people should read the names they asked for.
  const tempNames = new Map<string, string>();
  const services = byService(slos).size;
  const command = opts.dryRun ? 'validate' : 'generate';
  const status = statusLine(
    () =>
      `${command}: ${counts.files} files rendered; promtool checked ${pool.checked} of ${services} rule files`,
  );
  try {
    const report = await writeAtomically(files(), {
      pruneDirs,
      ...(opts.dryRun ? { dryRun: true } : {}),
      staged: (path, temp, content) => {
        if (!rulePaths.has(path)) return;
        tempNames.set(temp, path);
        pool.add(temp, content.length);
      },
      verify: async () => {
        const check = await pool.finish();
        status.done();
        if (check.missing) progress(paint('yellow', `Not checked with promtool: ${PROMTOOL_MISSING}`));
        else if (!check.ok) {
          let output = check.output;
          for (const [temp, path] of tempNames) output = output.replaceAll(temp, path);
          throw new CheckFailed(output);
        }
      },
    });
    status.done();
    if (opts.dryRun) return loaded;
    listFiles(report.written, `${paint('green', 'wrote')}  `);
    listFiles(report.removed, paint('yellow', 'removed'), ' (no SLO produces it any more)');
    const boards = opts.grafana ? ` and ${counts.dashboards} dashboards in ${opts.grafana}` : '';
    console.log(
      `${counts.rules} rule files and ${counts.test} promtool tests for ${loaded.slos.length} SLOs in ${opts.out}${boards} ` +
        `(${report.written.length} written, ${report.unchanged.length} unchanged) in ${Date.now() - started} ms.`,
    );
  } catch (error) {
    status.done();
    pool.stop();
    if (error instanceof WriteFailed) {
      console.error(`${command}: ${error.message}`);
      process.exitCode = EXIT.environment;
      return undefined;
    }
    if (!(error instanceof CheckFailed)) throw error;
    console.error(`promtool check rules rejected the generated rules; nothing written:\n${error.message}`);
    process.exitCode = EXIT.invalid;
    return undefined;
  }
  return loaded;
}
