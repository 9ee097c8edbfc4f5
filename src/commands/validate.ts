import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSpecError } from '../spec/errors.ts';
import { type LoadOptions, type LoadResult, loadSpecs } from '../spec/load.ts';
import type { FlagsOf } from './flags.ts';
import { EXIT, paint, progress } from './terminal.ts';

/** Loads specs and prints every error; undefined (and exit code 1 set) when any is invalid. */
export function loadOrReport(paths: string[], options: LoadOptions = {}): LoadResult | undefined {
  const result = loadSpecs(paths, options);
  if (result.errors.length) {
    for (const e of result.errors) console.error(`${formatSpecError(e)}\n`);
    console.error(
      paint(
        'red',
        `${result.errors.length} error${result.errors.length === 1 ? '' : 's'} in ${result.files.length} file(s); nothing written.`,
      ),
    );
    process.exitCode = EXIT.invalid;
    return undefined;
  }
  return result;
}

// A line per SLO helps with a few specs; past this many it buries the verdict.
const LISTED_SLOS = 50;

/**
 * Everything `generate` does short of writing: the specs, then every output rendered (rules, promtool
 * tests, the Alertmanager snippet, dashboards) into a scratch directory and the rules checked with
 * promtool, so nothing `validate` passes can fail `generate`. With `--prometheus-url`, then the live
 * check: whether each SLI reads series in that Prometheus (live-check.ts).
 */
export async function validateCommand(paths: string[], flags: FlagsOf<'validate'>): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'burnbook-validate-'));
  let result: LoadResult | undefined;
  try {
    const { generateCommand } = await import('./generate.ts');
    result = await generateCommand(
      paths,
      {
        out: join(scratch, 'rules'),
        format: 'prometheus',
        ruleNamePrefix: 'burnbook-',
        externalUrl: 'http://burnbook.invalid',
        alertmanager: join(scratch, 'alertmanager.yaml'),
        grafana: join(scratch, 'grafana'),
        grafanaUrl: 'http://grafana.invalid',
        runbooks: flags.runbooks,
      },
      { dryRun: true },
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (!result) return;
  for (const slo of result.slos.slice(0, LISTED_SLOS)) {
    progress(
      `  ${paint('green', 'ok')}  ${slo.service}/${slo.name}  ${slo.objective}%  tiers: ${slo.alerting.tiers.map((t) => t.name).join(', ')}`,
    );
  }
  const unlisted = result.slos.length - LISTED_SLOS;
  if (unlisted > 0) progress(`  … and ${unlisted} more, all valid`);
  console.log(`${result.slos.length} SLOs in ${result.files.length} files are valid.`);
  if (flags.prometheusUrl === undefined) return;
  const { liveCheckCommand } = await import('./live-check.ts');
  await liveCheckCommand(result.slos, flags);
}
