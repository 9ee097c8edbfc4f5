import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SpecError } from './errors.ts';

/**
 * Finding and reading spec files, with every hostile case a clear error in bounded time and memory:
 * a FIFO or device named `*.yaml` is never opened for a blocking read, a huge file is never read,
 * a symlink loop is reported, and a file reached twice (two symlinks, a Kubernetes ConfigMap mount)
 * is read once.
 */

/** Larger than any spec file: 10,000 SLOs in one file are about 3 MB. */
export const MAX_SPEC_BYTES = 8 * 2 ** 20;

const YAML_NAME = /\.ya?ml$/;

function fileError(file: string, message: string, hint?: string): SpecError {
  return { file, line: 1, col: 1, path: '', message, ...(hint ? { hint } : {}) };
}

function whyUnreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'a loop of symbolic links';
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return `cannot read it (${code ?? (error as Error).message})`;
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/**
 * Spec files under the given paths: files as given, directories searched for *.yaml / *.yml,
 * following symbolic links. Entries whose names start with a dot are skipped while searching:
 * `.git`, and Kubernetes' `..data` and `..2024_01_01_...` behind a mounted ConfigMap (its visible
 * files are symlinks into them). Each file is listed once, under the first path that reached it.
 */
export function specFiles(paths: readonly string[]): { files: string[]; errors: SpecError[] } {
  const files: string[] = [];
  const errors: SpecError[] = [];
  const seen = new Set<string>();
  const once = (path: string): boolean => {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      real = path;
    }
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  };
  const visit = (path: string, given: boolean) => {
    let stats: Stats;
    try {
      stats = statSync(path);
    } catch (error) {
      if (given || YAML_NAME.test(path)) errors.push(fileError(path, whyUnreadable(error)));
      return;
    }
    if (!stats.isDirectory()) {
      if ((given || YAML_NAME.test(path)) && once(path)) files.push(path);
      return;
    }
    if (!once(path)) return;
    let entries: string[];
    try {
      entries = readdirSync(path).sort((a, b) => a.localeCompare(b));
    } catch (error) {
      errors.push(fileError(path, whyUnreadable(error)));
      return;
    }
    for (const name of entries) if (!name.startsWith('.')) visit(join(path, name), false);
  };
  for (const p of paths) visit(p, true);
  return { files, errors };
}

/**
 * A spec file's text, or why it cannot be read. Opened without blocking, so a FIFO never waits for a
 * writer, and checked to be a regular file of at most MAX_SPEC_BYTES before a byte is read.
 */
export function readSpecFile(path: string, shown = path): { text: string } | { error: SpecError } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { error: fileError(shown, whyUnreadable(error)) };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      return {
        error: fileError(shown, `${kindOf(stats)}, not a spec file`, 'spec files are regular YAML files'),
      };
    }
    if (stats.size > MAX_SPEC_BYTES) {
      return {
        error: fileError(
          shown,
          `${(stats.size / 2 ** 20).toFixed(0)} MiB, larger than the ${MAX_SPEC_BYTES / 2 ** 20} MiB burnbook reads in one spec file`,
          'split the SLOs into one file per service',
        ),
      };
    }
    // Read at most one byte past the limit, in case the file grows while it is read.
    const buffer = Buffer.alloc(Math.min(stats.size, MAX_SPEC_BYTES) + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n) {
      n = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > MAX_SPEC_BYTES) {
      return { error: fileError(shown, `larger than the ${MAX_SPEC_BYTES / 2 ** 20} MiB burnbook reads`) };
    }
    return { text: buffer.subarray(0, length).toString('utf8') };
  } catch (error) {
    return { error: fileError(shown, whyUnreadable(error)) };
  } finally {
    closeSync(fd);
  }
}
