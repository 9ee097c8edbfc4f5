import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Slo } from '../spec/model.ts';
import { runbookFileProblem, runbookRoots } from '../spec/runbook-file.ts';
import type { MarkdownFile } from './pages.ts';
import type { RunbookFile } from './render.ts';

/** Reading runbook markdown from disk: the edge the pure page code is fed from. */

// Directories that hold no runbook pages.
const SKIPPED_DIRS = new Set(['templates', 'node_modules']);

/** Markdown pages under `runbooksDir`, without the files SLOs name as their `runbook`. */
export function readMarkdownFiles(runbooksDir: string, slos: readonly Slo[]): MarkdownFile[] {
  const sloFiles = new Set(slos.flatMap((s) => (s.runbook === undefined ? [] : [resolve(s.runbook)])));
  const root = resolve(runbooksDir);
  const out: MarkdownFile[] = [];
  const walk = (dir: string, top: boolean) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        if (!(top && SKIPPED_DIRS.has(entry.name))) walk(full, false);
      } else if (entry.isFile() && /\.md$/i.test(entry.name) && !sloFiles.has(full)) {
        out.push({ file: relative(root, full).split(sep).join('/'), text: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(root, true);
  return out;
}

/**
 * The SLO's own runbook file (`runbook:` in the spec, relative to the working directory, like
 * spec paths). Its relative links resolve from where it sits under the runbooks directory, or,
 * outside it, from the directory of the SLO's tier pages. Checked again on every read, as `validate`
 * checks it (spec/runbook-file.ts): the file may have been replaced since, by a link to anywhere.
 */
export function readSloRunbook(slo: Slo, runbooksDir: string): RunbookFile | undefined {
  if (slo.runbook === undefined) return undefined;
  const full = resolve(slo.runbook);
  const root = resolve(runbooksDir);
  const dir = relative(root, dirname(full)).split(sep).join('/');
  const inside = full.startsWith(`${root}${sep}`);
  const sourceDir = inside ? `/runbooks/${dir ? `${dir}/` : ''}` : `/runbooks/${slo.service}/`;
  if (runbookFileProblem(slo.runbook, runbookRoots(slo.source.file, runbooksDir))) {
    return { file: slo.runbook, sourceDir };
  }
  try {
    return { file: slo.runbook, text: readFileSync(full, 'utf8'), sourceDir };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { file: slo.runbook, sourceDir };
  }
}
