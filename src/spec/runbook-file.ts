/**
 * Where an SLO's `runbook:` file may live. Its text is published on a page anyone who reaches burnbook
 * can read, so it must be a regular markdown file under the runbooks directory or in the repository the
 * spec belongs to, never any other file the process can read (`/proc/self/environ` holds the webhook
 * token, `../../etc/passwd` the accounts). Symbolic links count by where they lead.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

/** The runbooks directory burnbook reads by default, relative to where it runs. */
export const DEFAULT_RUNBOOKS_DIR = 'runbooks';

// A runbook is read whole on every page view; this is far above any written by hand.
export const MAX_RUNBOOK_BYTES = 1024 * 1024;

const MARKDOWN = /\.(md|markdown)$/i;

/** Where a spec's runbook files may be: the runbooks directory and the spec's repository. */
export interface RunbookRoots {
  runbooksDir: string;
  /** The nearest directory above the spec holding `.git`; the spec's own directory outside a repository. */
  repository: string;
}

export function runbookRoots(specFile: string, runbooksDir: string): RunbookRoots {
  const specDir = dirname(resolve(specFile));
  let dir = specDir;
  while (!existsSync(resolve(dir, '.git'))) {
    const parent = dirname(dir);
    if (parent === dir) return { runbooksDir, repository: specDir };
    dir = parent;
  }
  return { runbooksDir, repository: dir };
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function inside(path: string, root: string | undefined): boolean {
  return root !== undefined && (path === root || path.startsWith(`${root}${sep}`));
}

/**
 * Why `path` (relative to the working directory, as in the spec) cannot be an SLO's runbook, or undefined
 * when it can: it must exist, be a regular file no larger than MAX_RUNBOOK_BYTES named `*.md`, and lead to
 * a place under one of `roots`.
 */
export function runbookFileProblem(
  path: string,
  roots: RunbookRoots,
): { message: string; hint: string } | undefined {
  const real = realOrUndefined(resolve(path));
  if (real === undefined) {
    return {
      message: `runbook file ${path} does not exist`,
      hint: 'paths are relative to the directory burnbook runs in; remove runbook: to use the default sections',
    };
  }
  const allowed = [roots.runbooksDir, roots.repository].map((root) => realOrUndefined(resolve(root)));
  if (!allowed.some((root) => inside(real, root))) {
    const where = real === resolve(path) ? 'is' : `leads to ${real},`;
    return {
      message: `runbook file ${path} ${where} outside the runbooks directory (${roots.runbooksDir}) and the spec's repository (${roots.repository})`,
      hint: 'a runbook is published on a page: keep it with the runbooks or the specs',
    };
  }
  const stat = statSync(real);
  if (!stat.isFile() || !MARKDOWN.test(path) || !MARKDOWN.test(real)) {
    return {
      message: `runbook file ${path} is not a markdown file`,
      hint: 'runbook: names a regular file ending in .md',
    };
  }
  if (stat.size > MAX_RUNBOOK_BYTES) {
    return {
      message: `runbook file ${path} is larger than ${MAX_RUNBOOK_BYTES >> 20} MiB`,
      hint: 'split it, or keep long material on its own page under the runbooks directory',
    };
  }
  return undefined;
}
