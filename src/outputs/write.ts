import {
  closeSync,
  copyFileSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { contentDigest } from '../cache/renders.ts';
import { isGenerated } from './generated.ts';

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
}

/**
 * A file to write: its path and its content, or a function that renders it (called only when needed) with,
 * when known without rendering, the SHA-256 of what it renders (cache/renders.ts).
 */
export type PlannedFile =
  | readonly [path: string, content: string]
  | readonly [path: string, render: () => string, digest?: string];

/** The SHA-256 of files as read by earlier runs, by path and status (cache/renders.ts). */
export interface DiskRecords {
  onDisk(path: string, stat: Stats): string | undefined;
  sawOnDisk(path: string, stat: Stats, digest: string): void;
}

export interface WriteOptions {
  /** Files burnbook wrote earlier under these directories, and no longer produces, are removed. */
  pruneDirs?: string[];
  /** Each file whose content changed, once it is on disk under its temporary name (e.g. to check it). */
  staged?: (path: string, temp: string, content: string) => void;
  /** Runs once every file is staged; when it throws, every temporary file is removed and nothing changes. */
  verify?: () => void | Promise<void>;
  /**
   * Stage and verify only: every temporary file is removed afterwards and nothing is renamed or pruned.
   * Nothing is synced, and a file `checked` says no check reads is not even staged.
   */
  dryRun?: boolean;
  /** Whether `staged` reads this file from disk; default yes. */
  checked?: (path: string) => boolean;
  /**
   * In a dry run, whether a file whose content has this SHA-256 passed its check before, so it need not be
   * rendered or staged.
   */
  passedBefore?: (path: string, digest: string) => boolean;
  /** What earlier runs read on disk, so a file whose status did not change need not be read again. */
  disk?: DiskRecords;
  /** The rename to use; tests pass one that fails, as a busy or full disk does. */
  rename?: (from: string, to: string) => void;
}

/** A rename or removal failed after others had been done; everything done was undone. */
export class WriteFailed extends Error {}

/**
 * Writes every file or none: all contents go to temporary files first (and `verify` may inspect them,
 * e.g. with promtool) before any is renamed into place. Files burnbook wrote earlier under `pruneDirs`
 * that this run no longer produces are removed, so a deleted SLO leaves no rules or dashboards behind.
 * Files whose content is unchanged are left untouched. `files` may be produced lazily: each is staged
 * as it comes, and between files the event loop gets a turn, so `staged` can start work (promtool)
 * that runs while the rest are produced.
 *
 * Durability, so that a generate that reported success survives a crash or power loss:
 * - Each file's data is synced before the first rename. A rename is atomic for readers, but after a
 *   crash the new name can be on disk before the data it points at (delayed allocation; ext4 guards
 *   only renames over an existing file, and only with a journal; XFS does not), which leaves an empty
 *   rule file: Prometheus then loads no rules for that service. A directory fsync at the end does not
 *   cover this, it persists names, not contents; only syncing the data does, per file or per filesystem.
 * - Each directory that changed is synced after the last rename and removal, so the renames
 *   themselves persist (without a journal nothing else orders them).
 * - The per-file syncs no longer run one after another on the main thread, each waiting for the disk
 *   (8,000 of them took 3 to 8 s at 10,000 SLOs): fdatasync runs on libuv's thread pool, several at a
 *   time, starting as each file is staged, while the rest is rendered and promtool checks. syncfs(2)
 *   would be one call instead, but Node has no binding for it, and it also waits for every other
 *   process's dirty data on the same filesystem, which on a shared machine is unbounded.
 * Not covered: a crash during the renames leaves some files new and some old (each one whole); the
 * next generate finishes the job.
 */
export async function writeAtomically(
  files: Iterable<PlannedFile>,
  opts: WriteOptions = {},
): Promise<WriteReport> {
  const report: WriteReport = { written: [], unchanged: [], removed: [] };
  const staged = new Map<string, string>();
  // The SHA-256 of each staged file, to remember its status once renamed into place (opts.disk).
  const written = new Map<string, string>();
  const targets = new Set<string>();
  const dirs = new Directories();
  const turn = new Turns();
  const sync = new DataSync();
  try {
    for (const [path, given, digest] of files) {
      if (targets.has(path)) throw new Error(`two generated files would be written to ${path}`);
      targets.add(path);
      let rendered = typeof given === 'string' ? given : undefined;
      const content = () => {
        rendered ??= (given as () => string)();
        return rendered;
      };
      if (dirs.has(path) && sameAsOnDisk(path, content, digest, opts.disk)) {
        report.unchanged.push(path);
      } else if (opts.dryRun && digest !== undefined && opts.passedBefore?.(path, digest)) {
        report.written.push(path);
      } else if (opts.dryRun && !(opts.checked?.(path) ?? true)) {
        // validate: a file no check reads would only be written to be removed (8,000 of them at 10,000 SLOs);
        // rendered only when its content is not known from an earlier run.
        if (digest === undefined) content();
        report.written.push(path);
      } else {
        dirs.create(dirname(path));
        const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
        writeFileSync(temp, content());
        staged.set(path, temp);
        if (opts.disk && !opts.dryRun) written.set(path, digest ?? contentDigest(content()));
        if (!opts.dryRun) sync.add(temp);
        opts.staged?.(path, temp, content());
      }
      await turn.maybe();
    }
    const verified = Promise.resolve().then(() => opts.verify?.());
    const [synced, verify] = await Promise.allSettled([sync.done(), verified]);
    if (verify.status === 'rejected') throw verify.reason;
    if (synced.status === 'rejected') throw synced.reason;
  } catch (error) {
    for (const temp of staged.values()) rmSync(temp, { force: true });
    throw error;
  }
  if (opts.dryRun) {
    for (const temp of staged.values()) rmSync(temp, { force: true });
    report.written.push(...staged.keys());
    return report;
  }
  const { stale, leftovers } = staleFiles(opts.pruneDirs ?? [], targets);
  commit(staged, stale, opts.rename ?? renameSync);
  report.written.push(...staged.keys());
  report.removed.push(...stale);
  for (const path of leftovers) rmSync(path, { force: true });
  for (const dir of new Set([...dirs.created, ...[...staged.keys(), ...stale, ...leftovers].map(dirname)])) {
    syncDirectory(dir);
  }
  // What was just written need not be read by the next run (but for the last few milliseconds' files).
  for (const [path, digest] of written) {
    try {
      opts.disk?.sawOnDisk(path, statSync(path), digest);
    } catch {
      // Removed meanwhile: the next run finds out.
    }
  }
  return report;
}

/**
 * Whether the file at `path` holds what `content` renders: compared by SHA-256 when the digest of the
 * rendering is known (nothing rendered), else byte for byte. With `disk`, a file whose status is as an
 * earlier run read it is not read again.
 */
function sameAsOnDisk(
  path: string,
  content: () => string,
  digest: string | undefined,
  disk: DiskRecords | undefined,
): boolean {
  const stat = disk && statSync(path);
  const recorded = stat && disk?.onDisk(path, stat);
  if (recorded !== undefined && digest !== undefined) return recorded === digest;
  const onDisk = readFileSync(path);
  const same =
    digest === undefined ? onDisk.toString('utf8') === content() : contentDigest(onDisk) === digest;
  // Only a file found to hold what this run would write is recorded: the next run then need not read it.
  if (same && stat) disk?.sawOnDisk(path, stat, digest ?? contentDigest(onDisk));
  return same;
}

/**
 * Renames every staged file into place and removes every stale file, or, when one step fails (EBUSY on a
 * bind-mounted file, ENOSPC, EACCES), none: each file replaced so far is first kept under a backup name
 * (a hard link, so nothing is copied), and on failure every step done is undone in reverse order and
 * every temporary file removed. The error is one line naming the file and the reason.
 */
function commit(
  staged: ReadonlyMap<string, string>,
  stale: readonly string[],
  rename: (from: string, to: string) => void,
): void {
  const undo: Array<() => void> = [];
  const backups: string[] = [];
  const backup = (path: string): string | undefined => {
    const name = join(dirname(path), `.${basename(path)}.${process.pid}.bak`);
    try {
      linkSync(path, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      copyFileSync(path, name);
    }
    backups.push(name);
    return name;
  };
  let current = '';
  try {
    for (const [path, temp] of staged) {
      current = path;
      const saved = backup(path);
      rename(temp, path);
      undo.push(saved ? () => rename(saved, path) : () => rmSync(path, { force: true }));
    }
    for (const path of stale) {
      current = path;
      const saved = backup(path) as string;
      rmSync(path);
      undo.push(() => rename(saved, path));
    }
  } catch (error) {
    const undone = undo.length;
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // Best effort: the message below says which file to look at.
      }
    }
    for (const temp of staged.values()) rmSync(temp, { force: true });
    for (const name of backups) rmSync(name, { force: true });
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new WriteFailed(
      `could not replace ${current} (${reason}); the ${undone} file${undone === 1 ? '' : 's'} already replaced ${undone === 1 ? 'was' : 'were'} restored, nothing changed`,
    );
  }
  for (const name of backups) rmSync(name, { force: true });
}

/** What each directory holds, listed once, so a new file costs no failed read; and the ones created. */
class Directories {
  private readonly listings = new Map<string, Set<string>>();
  /** Directories this run created, and their parents: their entries must be synced too. */
  readonly created = new Set<string>();
  private readonly made = new Set<string>();

  has(path: string): boolean {
    const dir = dirname(path);
    let names = this.listings.get(dir);
    if (!names) {
      try {
        names = new Set(readdirSync(dir));
      } catch {
        names = new Set();
      }
      this.listings.set(dir, names);
    }
    return names.has(basename(path));
  }

  create(dir: string): void {
    if (this.made.has(dir)) return;
    this.made.add(dir);
    const first = mkdirSync(dir, { recursive: true });
    if (first === undefined) return;
    for (let d = dir; d !== dirname(first); d = dirname(d)) this.created.add(dirname(d));
  }
}

/** Gives the event loop a turn every few milliseconds, so child processes are started and reaped. */
class Turns {
  private last = performance.now();

  async maybe(): Promise<void> {
    if (performance.now() - this.last < 10) return;
    await nextTurn();
    this.last = performance.now();
  }
}

/**
 * fdatasync for every staged file, started as each is staged: a few at a time on libuv's thread pool,
 * so the disk works while the main thread renders and promtool checks.
 */
class DataSync {
  private readonly queue: string[] = [];
  private running = 0;
  private failure: unknown;
  private idle: (() => void) | undefined;

  add(path: string): void {
    this.queue.push(path);
    this.pump();
  }

  /** Resolves once every file added is synced; rejects with the first failure. */
  async done(): Promise<void> {
    if (this.running || this.queue.length) await new Promise<void>((resolve) => (this.idle = resolve));
    if (this.failure !== undefined) throw this.failure;
  }

  private pump(): void {
    while (this.running < 8 && this.queue.length && this.failure === undefined) {
      this.running++;
      fdatasync(this.queue.shift() as string).then(
        () => this.finished(),
        (error: unknown) => {
          this.failure ??= error;
          this.finished();
        },
      );
    }
    if (!this.running && (!this.queue.length || this.failure !== undefined)) this.idle?.();
  }

  private finished(): void {
    this.running--;
    this.pump();
  }
}

async function fdatasync(path: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Makes renames and removals in `dir` durable; where the platform cannot sync a directory, skips it. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!['ENOENT', 'EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP'].includes(code ?? '')) throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

const TEMP_NAME = /^\.(.+)\.(\d+)\.(tmp|bak)$/;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Under `dirs`: generated files this run does not write (`keep` is left alone without reading it), and
 * temporary files a generate that was killed or crashed left behind (its process is gone, and the
 * content is burnbook's).
 */
function staleFiles(
  dirs: readonly string[],
  keep: ReadonlySet<string>,
): { stale: string[]; leftovers: string[] } {
  const stale: string[] = [];
  const leftovers: string[] = [];
  for (const path of new Set([...new Set(dirs)].flatMap(filesUnder))) {
    if (keep.has(path)) continue;
    const read = () => readOrUndefined(path);
    const temp = TEMP_NAME.exec(basename(path));
    if (temp) {
      if (!running(Number(temp[2])) && isGenerated(temp[1] as string, read)) leftovers.push(path);
    } else if (isGenerated(basename(path), read)) stale.push(path);
  }
  return { stale, leftovers };
}
