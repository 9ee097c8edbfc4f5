/**
 * The content of every file a run rendered, remembered by what it was rendered from (its SHA-256 under a
 * key made of the output, the file's path and the fingerprints of the SLOs it is made from), so the next
 * run knows a file's content without rendering it: `generate` compares it with the file on disk, and
 * `validate` asks whether promtool passed it before. Rendering is a pure function of those SLOs, the flags
 * and the code, so a key known is content known.
 *
 * Also what was verified on disk: a generated file's status (size, modification and change times, inode,
 * device) when its content was last read and found to have a digest. A file whose
 * status is unchanged still holds that content, so the 8,000 files (190 MB) of 10,000 SLOs are not read
 * again on every run. As git's index does, a status taken within a clock tick or two of the file's last
 * change is not kept (racy): a second write in the same tick could leave it unchanged. On a filesystem
 * with whole-second times that is 2 s, else RACY_MS.
 *
 * One entry of digests per scope (the code, the flags that shape the files, the spec paths), and one of
 * statuses per set of output directories (so `generate` into two directories by turns reads neither
 * again), each holding what the last run used only: they grow with the number of files generated, not with
 * the number of runs.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import type { Slo } from '../spec/model.ts';
import type { CacheEntries } from './entries.ts';
import { fingerprintOf } from './fingerprint.ts';

/** How a key that rendered to no file at all (OutputFile.content undefined) is kept. */
const NO_FILE = '-';
const RENDERED = /^R ([0-9a-f]{64}) ([0-9a-f]{64}|-)$/;
const ON_DISK = /^D ([0-9a-f]{64}) ([\d.]+(?: [\d.]+){4}) (".*")$/;
const RACY_MS = 50;

/** A file's status as compared between runs; times in milliseconds with their fraction (to about 0.2 µs). */
function statusOf(stat: Stats): string {
  return `${stat.size} ${stat.mtimeMs} ${stat.ctimeMs} ${stat.ino} ${stat.dev}`;
}

export class RenderedDigests {
  private readonly before = new Map<string, string>();
  private readonly now = new Map<string, string>();
  private readonly diskBefore = new Map<string, { status: string; digest: string }>();
  private readonly diskNow = new Map<string, { status: string; digest: string }>();
  private readonly name: string;
  private readonly diskName: string | undefined;

  /**
   * `scope`: the code identity, the flags that change what is rendered, and the spec paths, as text;
   * `outputs`: where the files are written, as text, or undefined when nothing is (a dry run).
   */
  constructor(
    private readonly entries: CacheEntries,
    scope: string,
    outputs?: string,
  ) {
    const hash = (text: string) => createHash('sha256').update(text).digest('hex');
    this.name = `renders-${hash(scope)}`;
    for (const line of entries.read(this.name)?.split('\n') ?? []) {
      const rendered = RENDERED.exec(line);
      if (rendered) this.before.set(rendered[1] as string, rendered[2] as string);
    }
    this.diskName = outputs === undefined ? undefined : `disk-${hash(`${scope}\n${outputs}`)}`;
    for (const line of this.diskName === undefined ? [] : (entries.read(this.diskName)?.split('\n') ?? [])) {
      const disk = ON_DISK.exec(line);
      if (!disk) continue;
      try {
        const path = JSON.parse(disk[3] as string);
        if (typeof path === 'string')
          this.diskBefore.set(path, { status: disk[2] as string, digest: disk[1] as string });
      } catch {
        // A damaged line is a file read again.
      }
    }
  }

  /** The key of a file at `path` of the output named `output`, made from `from`. */
  keyOf(output: string, path: string, from: readonly Slo[]): string {
    const hash = createHash('sha256').update(`${output}\n${path}\n${from.length}\n`);
    for (const slo of from) hash.update(fingerprintOf(slo));
    return hash.digest('hex');
  }

  /**
   * The SHA-256 of the content rendered under `key` before, null when it rendered to no file, undefined
   * when not known; kept for the next run.
   */
  known(key: string): string | null | undefined {
    const digest = this.before.get(key);
    if (digest !== undefined) this.now.set(key, digest);
    return digest === NO_FILE ? null : digest;
  }

  /** Remembers what `key` rendered to: content (kept by its SHA-256, which is returned), or no file. */
  rendered(key: string, content: string | undefined): string | undefined {
    const digest = content === undefined ? undefined : contentDigest(content);
    this.now.set(key, digest ?? NO_FILE);
    return digest;
  }

  /** The SHA-256 of the file at `path`, when it was read with this very status before; kept for the next run. */
  onDisk(path: string, stat: Stats): string | undefined {
    const seen = this.diskBefore.get(path);
    if (seen === undefined || seen.status !== statusOf(stat)) return undefined;
    this.diskNow.set(path, seen);
    return seen.digest;
  }

  /** Remembers that the file at `path`, with this status, holds content of this SHA-256 (read or just written). */
  sawOnDisk(path: string, stat: Stats, digest: string): void {
    const changed = Math.max(stat.ctimeMs, stat.mtimeMs);
    const wholeSeconds = stat.mtimeMs % 1000 === 0 && stat.ctimeMs % 1000 === 0;
    if (Date.now() - changed < (wholeSeconds ? 2000 : RACY_MS)) return;
    this.diskNow.set(path, { status: statusOf(stat), digest });
  }

  /** Keeps this run's keys and statuses for the next run, each where it differs from the last run's. */
  save(): void {
    const same = <T>(a: Map<string, T>, b: Map<string, T>, eq: (x: T, y: T | undefined) => boolean) =>
      a.size === b.size && [...a].every(([k, v]) => eq(v, b.get(k)));
    if (!same(this.now, this.before, (x, y) => x === y)) {
      this.entries.write(this.name, [...this.now].map(([key, digest]) => `R ${key} ${digest}`).join('\n'));
    }
    const sameOnDisk = same(
      this.diskNow,
      this.diskBefore,
      (x, y) => x.status === y?.status && x.digest === y.digest,
    );
    if (this.diskName !== undefined && !sameOnDisk) {
      const lines = [...this.diskNow].map(
        ([path, { status, digest }]) => `D ${digest} ${status} ${JSON.stringify(path)}`,
      );
      this.entries.write(this.diskName, lines.join('\n'));
    }
  }
}

/** A hex SHA-256 of text as it is written (UTF-8). */
export function contentDigest(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
