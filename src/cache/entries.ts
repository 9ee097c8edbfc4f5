/**
 * A directory of cache entries, each one file named by its key, its text after a first line holding the
 * text's SHA-256. Safe to share between runs at the same time and to find damaged: an entry is written under
 * a temporary name and renamed into place (readers see the old or the new whole file, and two runs writing
 * one key write the same text), and one whose text no longer matches its checksum (a torn write, a full
 * disk, an edit) reads as missing and is removed. Bounded: once entries pass `maxBytes`, the least recently
 * used go (reading an entry marks it used). Every failure to read or write is a miss, never an error.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  futimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheDir } from './dir.ts';

const HEADER = 'burnbook-cache sha256:';
/** A temporary file older than this was left by a run that died. */
const STALE_TEMP_MS = 10 * 60_000;
/** Marking an entry used costs a write to its inode; once an hour is precise enough for eviction. */
const TOUCH_AFTER_MS = 60 * 60_000;
const NAME = /^[a-z]+-[0-9a-f]{64}$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export class CacheEntries {
  private wrote = false;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /** The entry's text, or undefined when there is none or it is damaged (then it is removed). */
  read(name: string): string | undefined {
    const path = join(this.dir, name);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    let raw: string;
    try {
      const { mtimeMs } = fstatSync(fd);
      raw = readFileSync(fd, 'utf8');
      if (Date.now() - mtimeMs > TOUCH_AFTER_MS) touch(fd);
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
    const newline = raw.indexOf('\n');
    const text = raw.slice(newline + 1);
    if (newline < 0 || raw.slice(0, newline) !== `${HEADER}${sha256(text)}`) {
      removeQuietly(path);
      return undefined;
    }
    return text;
  }

  /** Keeps `text` under `name` (lowercase letters, a dash, 64 hex digits); a cache that cannot be written is only slower. */
  write(name: string, text: string): void {
    if (!NAME.test(name)) throw new Error(`cache entry name ${name}: expected <kind>-<sha256>`);
    const path = join(this.dir, name);
    const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(temp, `${HEADER}${sha256(text)}\n${text}`);
      renameSync(temp, path);
      this.wrote = true;
    } catch {
      removeQuietly(temp);
    }
  }

  /**
   * After a run that wrote entries: when they pass `maxBytes`, the least recently used are removed until
   * three quarters remain, and temporary files of runs that died go.
   */
  bound(): void {
    if (!this.wrote) return;
    this.wrote = false;
    const entries: Array<{ path: string; size: number; used: number }> = [];
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    let total = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      try {
        const { size, mtimeMs } = statSync(path);
        if (name.endsWith('.tmp')) {
          if (Date.now() - mtimeMs > STALE_TEMP_MS) removeQuietly(path);
          continue;
        }
        entries.push({ path, size, used: mtimeMs });
        total += size;
      } catch {
        // Removed by another run meanwhile.
      }
    }
    if (total <= this.maxBytes) return;
    entries.sort((a, b) => a.used - b.used);
    for (const entry of entries) {
      if (total <= this.maxBytes * 0.75) break;
      removeQuietly(entry.path);
      total -= entry.size;
    }
  }
}

/** Removes a file if it can: a read-only cache is still a cache. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Read-only or gone.
  }
}

/** Marks an entry used; on a read-only cache it simply is not marked. */
function touch(fd: number): void {
  try {
    futimesSync(fd, new Date(), new Date());
  } catch {
    // Read-only: eviction goes by when it was written.
  }
}

/**
 * Spec models and the digests of rendered files kept between runs, least recently used out first: a tree of
 * 10,000 SLOs in 500 files takes about 12 MB.
 */
const MAX_RUN_CACHE_BYTES = 256 * 2 ** 20;

/** The cache `generate`, `validate` and `serve` share (`<cacheDir>/generate`). */
export function runCache(): CacheEntries {
  return new CacheEntries(resolve(cacheDir(), 'generate'), MAX_RUN_CACHE_BYTES);
}
