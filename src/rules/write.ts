import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isGenerated } from './output.ts';

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function writeDurably(path: string, content: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function generatedFilesUnder(dir: string): string[] {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...generatedFilesUnder(full));
    else if (isGenerated(e.name, () => readOrUndefined(full))) out.push(full);
  }
  return out;
}

/**
 * Writes every file or none: all contents go to temporary files first (and `verify` may
 * inspect them, e.g. with promtool) before any is renamed into place. Files burnbook wrote
 * earlier under `pruneDirs` that this run no longer produces are removed, so a deleted SLO
 * leaves no rules or dashboards behind. Files whose content is unchanged are left untouched.
 */
export function writeAtomically(
  files: ReadonlyMap<string, string>,
  opts: { pruneDirs?: string[]; verify?: (staged: Map<string, string>) => void } = {},
): WriteReport {
  const report: WriteReport = { written: [], unchanged: [], removed: [] };
  const staged = new Map<string, string>();
  try {
    for (const [path, content] of files) {
      if (readOrUndefined(path) === content) {
        report.unchanged.push(path);
        continue;
      }
      mkdirSync(dirname(path), { recursive: true });
      const temp = join(dirname(path), `.${relative(dirname(path), path)}.${process.pid}.tmp`);
      writeDurably(temp, content);
      staged.set(path, temp);
    }
    opts.verify?.(staged);
  } catch (error) {
    for (const temp of staged.values()) rmSync(temp, { force: true });
    throw error;
  }
  for (const [path, temp] of staged) {
    renameSync(temp, path);
    report.written.push(path);
  }
  for (const stale of new Set((opts.pruneDirs ?? []).flatMap(generatedFilesUnder))) {
    if (files.has(stale)) continue;
    rmSync(stale);
    report.removed.push(stale);
  }
  return report;
}
