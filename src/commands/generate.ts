import { resolve } from 'node:path';
import type { AlertOptions } from '../rules/alerting.ts';
import { alertmanagerFile, ruleFiles } from '../rules/output.ts';
import { PROMTOOL_MISSING, promtool } from '../rules/promtool.ts';
import { writeAtomically } from '../rules/write.ts';
import { loadOrReport } from './validate.ts';
import { EXIT, paint, progress } from './terminal.ts';

export interface GenerateOptions {
  out: string;
  externalUrl: string;
  alertmanager?: string;
}

class CheckFailed extends Error {}

export function generateCommand(paths: string[], opts: GenerateOptions): void {
  const started = Date.now();
  const loaded = loadOrReport(paths);
  if (!loaded) return;
  progress(`Checked ${loaded.slos.length} SLOs in ${loaded.files.length} files.`);
  const alertOptions: AlertOptions = { externalUrl: opts.externalUrl };
  const generated = ruleFiles(loaded.slos, alertOptions);
  const out = resolve(opts.out);
  const files = new Map(generated.map((f) => [resolve(out, f.path), f.content]));
  if (opts.alertmanager) files.set(resolve(opts.alertmanager), alertmanagerFile(loaded.slos, opts.externalUrl));

  const ruleTemps = (staged: Map<string, string>) =>
    generated.filter((f) => f.kind === 'rules' && staged.has(resolve(out, f.path))).map((f) => staged.get(resolve(out, f.path)) as string);
  try {
    const report = writeAtomically(files, {
      pruneDir: out,
      verify: (staged) => {
        const temps = ruleTemps(staged);
        if (!temps.length) return;
        const check = promtool(['check', 'rules', ...temps]);
        if (!check) progress(paint('yellow', `Not checked with promtool: ${PROMTOOL_MISSING}`));
        else if (!check.ok) throw new CheckFailed(check.output);
      },
    });
    for (const path of report.written) progress(`  ${paint('green', 'wrote')}    ${path}`);
    for (const path of report.removed) progress(`  ${paint('yellow', 'removed')}  ${path} (no SLO produces it any more)`);
    const rules = generated.filter((f) => f.kind === 'rules').length;
    const tests = generated.filter((f) => f.kind === 'test').length;
    console.log(
      `${rules} rule files and ${tests} promtool tests for ${loaded.slos.length} SLOs in ${opts.out} ` +
        `(${report.written.length} written, ${report.unchanged.length} unchanged) in ${Date.now() - started} ms.`,
    );
  } catch (error) {
    if (!(error instanceof CheckFailed)) throw error;
    console.error(`promtool check rules rejected the generated rules; nothing written:\n${error.message}`);
    process.exitCode = EXIT.invalid;
  }
}
