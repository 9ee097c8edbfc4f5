/**
 * `promtool check rules` verdicts remembered by what was checked, so `validate` after `generate` (or a
 * second `validate`) does not check unchanged rule files again: at 10,000 SLOs promtool is 14 s of CPU,
 * most of `validate`. Content-addressed: a file passes from memory only when the same bytes passed the
 * same promtool (its path, size, modification time and `--version`) under the same burnbook version.
 * Anything else changed (a spec, a runbook URL, the alert options, burnbook, promtool) changes the key and
 * the file is checked again, so `validate` still refuses all that `generate` would. Only passes are kept:
 * a rejected file is always checked again and its errors shown afresh.
 *
 * Kept in `$BURNBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/burnbook`, else `~/.cache/burnbook`: one empty file
 * per passed content under a directory per promtool and burnbook; a new one replaces the others.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promtool } from './promtool.ts';

const BURNBOOK_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface VerdictCache {
  /** The key of one file's content: a hex SHA-256 of the content and the checker's identity. */
  key(content: string): string;
  /** Whether content with this key passed before. */
  passed(key: string): boolean;
  /** Remembers that these keys passed; a cache that cannot be written is only slower, never wrong. */
  rememberPassed(keys: readonly string[]): void;
}

/** The directory verdicts are kept under (see the module comment). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BURNBOOK_CACHE_DIR) return env.BURNBOOK_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'burnbook');
}

/** The first `promtool` on PATH, as the pool will run it; undefined when there is none. */
function promtoolOnPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir || '.', 'promtool');
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/**
 * What decides a verdict besides the file: the promtool that runs (a wrapper or another build at another
 * path, or the same path replaced, is another checker), what it says its version is, and burnbook's
 * version. Undefined when promtool cannot be found or asked: then nothing is remembered.
 */
export function checkerIdentity(
  env: NodeJS.ProcessEnv = process.env,
  burnbookVersion = BURNBOOK_VERSION,
): string | undefined {
  const path = promtoolOnPath(env);
  if (!path) return undefined;
  const version = promtool(['--version'], 10_000, path);
  if (!version?.ok) return undefined;
  const { size, mtimeMs } = statSync(path);
  return ['check rules', path, size, mtimeMs, version.output, `burnbook ${burnbookVersion}`].join('\n');
}

/** Verdicts for `identity` (checkerIdentity) kept under `dir`. */
export function verdictCache(identity: string, dir = cacheDir()): VerdictCache {
  const digest = (text: string) => createHash('sha256').update(text).digest('hex');
  const root = join(dir, 'promtool-check-rules');
  const own = join(root, digest(identity).slice(0, 16));
  let passed: Set<string> | undefined;
  const known = () => {
    if (!passed) {
      try {
        passed = new Set(readdirSync(own));
      } catch {
        passed = new Set();
      }
    }
    return passed;
  };
  return {
    key: (content) => digest(`${identity}\n${content}`),
    passed: (key) => known().has(key),
    rememberPassed(keys) {
      try {
        if (!existsSync(own)) {
          // Verdicts of another promtool or burnbook are never read again.
          for (const other of existsSync(root) ? readdirSync(root) : []) {
            rmSync(join(root, other), { recursive: true, force: true });
          }
          mkdirSync(own, { recursive: true });
        }
        for (const key of keys) {
          writeFileSync(join(own, key), '');
          known().add(key);
        }
      } catch {
        // Unwritable cache: the next run checks again.
      }
    },
  };
}
