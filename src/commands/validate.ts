import { formatSpecError } from '../spec/errors.ts';
import { type LoadOptions, type LoadResult, loadSpecs } from '../spec/load.ts';
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

export function validateCommand(paths: string[], opts: { runbooks: string }): void {
  const result = loadOrReport(paths, { runbooksDir: opts.runbooks });
  if (!result) return;
  for (const slo of result.slos.slice(0, LISTED_SLOS)) {
    progress(
      `  ${paint('green', 'ok')}  ${slo.service}/${slo.name}  ${slo.objective}%  tiers: ${slo.alerting.tiers.map((t) => t.name).join(', ')}`,
    );
  }
  const unlisted = result.slos.length - LISTED_SLOS;
  if (unlisted > 0) progress(`  … and ${unlisted} more, all valid`);
  console.log(`${result.slos.length} SLOs in ${result.files.length} files are valid.`);
}
