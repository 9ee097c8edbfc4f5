import { existsSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { WriteFailed, writeAtomically } from '../outputs/write.ts';
import { formatSpecError } from '../spec/errors.ts';
import { importedFile } from '../spec/imported.ts';
import { loadSpecText, readDocuments } from '../spec/load.ts';
import type { FlagsOf } from './flags.ts';
import { EXIT, paint, progress } from './terminal.ts';

/**
 * `burnbook import`: Sloth, Pyrra and OpenSLO files to burnbook/v1, one file in `--out` per source file that
 * holds SLOs (`orders.yml` → `slos/orders.yaml`). Every source is read and checked as `validate` would first;
 * each file written is read back as burnbook/v1 before any is written; nothing is written on any error,
 * nor over an existing file without `--force`.
 */
export async function importCommand(paths: string[], flags: FlagsOf<'import'>): Promise<void> {
  const { documents, files, errors } = readDocuments(paths);
  errors.push(...documents.flatMap((d) => d.errors));
  if (errors.length) {
    for (const e of errors) console.error(`${formatSpecError(e)}\n`);
    console.error(
      paint(
        'red',
        `${errors.length} error${errors.length === 1 ? '' : 's'} in ${files.length} file(s); nothing imported.`,
      ),
    );
    process.exitCode = EXIT.invalid;
    return;
  }
  const out = resolve(flags.out);
  const planned = new Map<string, { source: string; content: string; slos: number }>();
  const problems: string[] = [];
  for (const file of new Set(documents.map((d) => d.file))) {
    const own = documents.filter((d) => d.file === file);
    const translations = own.flatMap((d) => d.translations);
    if (!translations.length) {
      const what = own.some((d) => d.format?.name === 'burnbook/v1')
        ? 'already burnbook/v1'
        : 'no SLO of its own (used by the others)';
      progress(`  ${paint('yellow', 'skip')}   ${file}: ${what}`);
      continue;
    }
    const target = join(out, `${basename(file, extname(file))}.yaml`);
    const other = planned.get(target);
    if (other) {
      problems.push(
        `${file} and ${other.source} would both be imported to ${target}; import them one at a time into different --out directories`,
      );
      continue;
    }
    if (existsSync(target) && !flags.force) {
      problems.push(`${target} exists; pass --force to replace it`);
      continue;
    }
    const content = importedFile(file, translations);
    // What is written must read back as burnbook/v1 on its own: the review starts from a valid spec.
    const check = loadSpecText(content, target);
    if (check.errors.length) {
      problems.push(
        `the import of ${file} does not read back as burnbook/v1:\n${check.errors.map(formatSpecError).join('\n')}`,
      );
      continue;
    }
    planned.set(target, { source: file, content, slos: check.slos.length });
  }
  if (problems.length) {
    for (const p of problems) console.error(p);
    console.error(paint('red', 'nothing imported.'));
    process.exitCode = EXIT.invalid;
    return;
  }
  try {
    await writeAtomically([...planned].map(([path, { content }]) => [path, content] as const));
  } catch (error) {
    if (!(error instanceof WriteFailed)) throw error;
    console.error(`import: ${error.message}`);
    process.exitCode = EXIT.environment;
    return;
  }
  for (const [path, { source, slos }] of planned)
    progress(`  ${paint('green', 'wrote')}  ${path}  (${slos} SLOs from ${source})`);
  const total = [...planned.values()].reduce((n, p) => n + p.slos, 0);
  console.log(
    `Imported ${total} SLOs from ${planned.size} files into ${flags.out}. Review them, then: burnbook validate ${flags.out}`,
  );
}
