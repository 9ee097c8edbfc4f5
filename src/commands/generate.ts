import { resolve } from 'node:path';
import { sloDashboardUrl } from '../grafana/links.ts';
import { grafanaFiles } from '../grafana/output.ts';
import type { AlertOptions } from '../rules/alerting.ts';
import { alertmanagerFile, ruleFiles } from '../rules/output.ts';
import { PROMTOOL_MISSING, promtool } from '../rules/promtool.ts';
import { writeAtomically } from '../rules/write.ts';
import { EXIT, paint, progress } from './terminal.ts';
import { loadOrReport } from './validate.ts';

export interface GenerateOptions {
  out: string;
  externalUrl: string;
  alertmanager?: string;
  /** Directory for Grafana dashboards and provisioning files. */
  grafana?: string;
  /** Where Grafana serves those dashboards: alerts then link to them (`dashboard_url`). */
  grafanaUrl?: string;
}

class CheckFailed extends Error {}

export function generateCommand(paths: string[], opts: GenerateOptions): void {
  const started = Date.now();
  const loaded = loadOrReport(paths);
  if (!loaded) return;
  progress(`Checked ${loaded.slos.length} SLOs in ${loaded.files.length} files.`);
  const { grafanaUrl } = opts;
  const alertOptions: AlertOptions = {
    externalUrl: opts.externalUrl,
    ...(grafanaUrl ? { dashboardUrl: (slo, values) => sloDashboardUrl(grafanaUrl, slo, values.label) } : {}),
  };
  const generated = ruleFiles(loaded.slos, alertOptions);
  const out = resolve(opts.out);
  const files = new Map(generated.map((f) => [resolve(out, f.path), f.content]));
  if (opts.alertmanager)
    files.set(resolve(opts.alertmanager), alertmanagerFile(loaded.slos, opts.externalUrl));
  const pruneDirs = [out];
  if (opts.grafana) {
    const grafana = resolve(opts.grafana);
    for (const f of grafanaFiles(loaded.slos, { externalUrl: opts.externalUrl })) {
      files.set(resolve(grafana, f.path), f.content);
    }
    pruneDirs.push(grafana);
  }

  const ruleTemps = (staged: Map<string, string>) =>
    generated
      .filter((f) => f.kind === 'rules' && staged.has(resolve(out, f.path)))
      .map((f) => staged.get(resolve(out, f.path)) as string);
  try {
    const report = writeAtomically(files, {
      pruneDirs,
      verify: (staged) => {
        const temps = ruleTemps(staged);
        if (!temps.length) return;
        const check = promtool(['check', 'rules', ...temps]);
        if (!check) progress(paint('yellow', `Not checked with promtool: ${PROMTOOL_MISSING}`));
        else if (!check.ok) throw new CheckFailed(check.output);
      },
    });
    for (const path of report.written) progress(`  ${paint('green', 'wrote')}    ${path}`);
    for (const path of report.removed)
      progress(`  ${paint('yellow', 'removed')}  ${path} (no SLO produces it any more)`);
    const rules = generated.filter((f) => f.kind === 'rules').length;
    const tests = generated.filter((f) => f.kind === 'test').length;
    const dashboards = [...files.keys()].filter((path) => path.endsWith('.json')).length;
    const boards = opts.grafana ? ` and ${dashboards} dashboards in ${opts.grafana}` : '';
    console.log(
      `${rules} rule files and ${tests} promtool tests for ${loaded.slos.length} SLOs in ${opts.out}${boards} ` +
        `(${report.written.length} written, ${report.unchanged.length} unchanged) in ${Date.now() - started} ms.`,
    );
  } catch (error) {
    if (!(error instanceof CheckFailed)) throw error;
    console.error(`promtool check rules rejected the generated rules; nothing written:\n${error.message}`);
    process.exitCode = EXIT.invalid;
  }
}
