/**
 * `promtool check rules` verdicts remembered by what was checked, so `validate` after `generate` (or a
 * second `validate`) does not check unchanged rule files again: at 10,000 SLOs promtool is 14 s of CPU,
 * most of `validate`. Content-addressed: a file passes from memory only when the same bytes passed the
 * same promtool (its path, size, modification time and `--version`) under the same burnbook version.
 * Anything else changed (a spec, a runbook URL, the alert options, burnbook, promtool) changes the key and
 * the file is checked again, so `validate` still refuses all that `generate` would. Only passes are kept:
 * a rejected file is always checked again and its errors shown afresh.
 *
 * Kept in `$BURNBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/burnbook`, else `~/.cache/burnbook` (cache/dir.ts): one
 * empty file per passed content under a directory per promtool and burnbook; a new one replaces the others,
 * and past MAX_VERDICTS (every edit of a spec adds one) the oldest half goes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cacheDir } from '../cache/dir.ts';
import { contentDigest } from '../cache/renders.ts';
import { promtool } from './promtool.ts';

/** About 5 MB of inodes; a tree of 10,000 SLOs has 500 rule files. */
const MAX_VERDICTS = 50_000;

const BURNBOOK_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface VerdictCache {
  /** The key of one file's content: a hex SHA-256 of the content's SHA-256 and the checker's identity. */
  key(content: string): string;
  /** The same key from the content's SHA-256 (cache/renders.ts contentDigest), without the content. */
  keyOfDigest(digest: string): string;
  /** Whether content with this key passed before. */
  passed(key: string): boolean;
  /** Remembers that these keys passed; a cache that cannot be written is only slower, never wrong. */
  rememberPassed(keys: readonly string[]): void;
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
  return ['check rules by digest', path, size, mtimeMs, version.output, `burnbook ${burnbookVersion}`].join(
    '\n',
  );
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
  const keyOfDigest = (contentSha256: string) => digest(`${identity}\n${contentSha256}`);
  return {
    key: (content) => keyOfDigest(contentDigest(content)),
    keyOfDigest,
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
        if (known().size > MAX_VERDICTS) forgetOldest(own, known());
      } catch {
        // Unwritable cache: the next run checks again.
      }
    },
  };
}

/** Removes the older half of the verdicts in `dir` (by when each was last written) from disk and `known`. */
function forgetOldest(dir: string, known: Set<string>): void {
  const ages = [...known].map((key) => {
    try {
      return { key, at: statSync(join(dir, key)).mtimeMs };
    } catch {
      return { key, at: 0 };
    }
  });
  ages.sort((a, b) => a.at - b.at);
  for (const { key } of ages.slice(0, ages.length >> 1)) {
    rmSync(join(dir, key), { force: true });
    known.delete(key);
  }
}
