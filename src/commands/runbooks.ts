import { resolve } from 'node:path';
import { type WriteReport, writeAtomically } from '../outputs/write.ts';
import { exportSite } from '../server/export.ts';
import type { FlagsOf } from './flags.ts';
import { EXIT, paint, progress } from './terminal.ts';
import { loadOrReport } from './validate.ts';

export async function runbooksBuildCommand(paths: string[], opts: FlagsOf<'runbooks build'>): Promise<void> {
  const started = Date.now();
  const loaded = loadOrReport(paths, { runbooksDir: opts.runbooks });
  if (!loaded) return;
  const pages = await exportSite({
    slos: loaded.slos,
    runbooksDir: opts.runbooks,
    ...(opts.prometheusUrl ? { prometheusUrl: opts.prometheusUrl } : {}),
  });
  const out = resolve(opts.out);
  let report: WriteReport;
  try {
    report = await writeAtomically(
      new Map([...pages].map(([file, content]) => [resolve(out, file), content])),
    );
  } catch (error) {
    console.error(`Cannot write the runbooks to ${opts.out}: ${(error as Error).message}`);
    process.exitCode = EXIT.environment;
    return;
  }
  for (const path of report.written) progress(`  ${paint('green', 'wrote')}  ${path}`);
  console.log(
    `${pages.size} files for ${loaded.slos.length} SLOs in ${opts.out} ` +
      `(${report.written.length} written, ${report.unchanged.length} unchanged) in ${Date.now() - started} ms; ` +
      `open ${resolve(out, 'index.html')}`,
  );
}
