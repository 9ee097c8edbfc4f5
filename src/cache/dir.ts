/**
 * Where burnbook keeps what it may compute again: `$BURNBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/burnbook`,
 * else `~/.cache/burnbook`. Everything under it is an optimisation: deleting it costs one slower run.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory caches live under (see the module comment). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BURNBOOK_CACHE_DIR) return env.BURNBOOK_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'burnbook');
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let identity: string | undefined;

/**
 * A hex SHA-256 of the code that loads specs and renders outputs: every file under `src/`, the lockfile
 * (the `yaml` library writes the files) and Node's version. The package version alone would not do: it
 * stays 0.1.0 across every commit, and a cached rendering of older code must never be served. About 5 ms.
 */
export function codeIdentity(): string {
  if (identity === undefined) {
    const hash = createHash('sha256').update(`node ${process.version}\n`);
    const root = ROOT;
    const files = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of [...files, join(root, 'package-lock.json')]) {
      hash.update(`${relative(root, file)}\n`);
      try {
        hash.update(readFileSync(file));
      } catch {
        hash.update('(unreadable)');
      }
    }
    identity = hash.digest('hex');
  }
  return identity;
}
