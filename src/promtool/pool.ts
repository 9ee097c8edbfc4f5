import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * `promtool check rules` over many files, one process per core, started while the caller is still
 * producing files: `add` queues a file, a free process takes what has queued up, `finish` waits.
 *
 * Why this shape (measured with bench/generate.ts at 10,000 SLOs, 500 rule files, 67 MB):
 * - promtool's cost is per rule, not per file: 50 files take as long as one file with the same 50
 *   files' groups, a process starts in about 30 ms, and one rule file of 310 rules takes about 25 ms.
 *   Most of it is parsing every alert label and annotation as a Go template, the YAML (twice) and
 *   the PromQL; so files are batched into chunks, a few MB each, and the chunks spread over cores.
 * - Go's garbage collector was a quarter to a third of promtool's CPU at its default GOGC=100 (every
 *   rule is garbage once checked); GOGC=400 cuts promtool's CPU by about a quarter, for about 90 MB
 *   per process. GOMAXPROCS=1 because we already run one process per core. Both apply only where the
 *   caller's environment does not set them.
 * - `--lint=duplicate-rules`, promtool's default, costs about 3%; it stays, since DESIGN.md asks
 *   that `promtool check rules`, as users run it, passes.
 */

export interface PoolOutcome {
  /** Every file passed (true when no file was added). */
  ok: boolean;
  /** promtool is not on PATH: nothing was checked. */
  missing: boolean;
  /** What the failing processes printed (empty when ok). */
  output: string;
  /** Files checked so far, for progress. */
  checked: number;
}

/** A chunk stops growing at this many bytes of rule text: about 0.5 s of one core at 10,000 SLOs. */
const CHUNK_BYTES = 4 * 2 ** 20;

const GO_TUNING = { GOGC: '400', GOMAXPROCS: '1' };

// A chunk takes about half a second; a promtool still running after this is stuck, and generate must end.
const CHUNK_TIMEOUT_MS = 120_000;

export class PromtoolPool {
  private readonly queue: Array<{ path: string; bytes: number }> = [];
  private queuedBytes = 0;
  private readonly running = new Set<ChildProcess>();
  private closed = false;
  private failed = false;
  private missing = false;
  private readonly failures: string[] = [];
  private checkedFiles = 0;
  private settle: (() => void) | undefined;

  private readonly parallelism: number;
  private readonly chunkBytes: number;
  private readonly timeoutMs: number;

  constructor(options: { parallelism?: number; chunkBytes?: number; timeoutMs?: number } = {}) {
    this.parallelism = options.parallelism ?? availableParallelism();
    this.chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    this.timeoutMs = options.timeoutMs ?? CHUNK_TIMEOUT_MS;
  }

  /** Queues a file; a process starts on it at once when one is free. */
  add(path: string, bytes: number): void {
    if (this.closed) throw new Error('PromtoolPool: add after finish');
    this.queue.push({ path, bytes });
    this.queuedBytes += bytes;
    this.pump();
  }

  get checked(): number {
    return this.checkedFiles;
  }

  /** No more files: waits for every check; on the first failure the others are stopped. */
  async finish(): Promise<PoolOutcome> {
    this.closed = true;
    this.pump();
    if (this.running.size) await new Promise<void>((resolve) => (this.settle = resolve));
    return {
      ok: !this.failed && !this.missing,
      missing: this.missing,
      output: this.failures.join('\n'),
      checked: this.checkedFiles,
    };
  }

  /** Stops every running check (the caller gave up); `finish` then resolves. */
  stop(): void {
    this.failed = true;
    for (const child of this.running) child.kill();
  }

  private pump(): void {
    while (!this.failed && !this.missing && this.queue.length && this.running.size < this.parallelism) {
      this.start(this.take());
    }
    if (this.closed && !this.running.size) this.settle?.();
  }

  /**
   * The next chunk. Once no more files come, what is left is split between the processes, so the
   * last chunks are small and the cores finish together.
   */
  private take(): string[] {
    const target = this.closed
      ? Math.min(this.chunkBytes, this.queuedBytes / this.parallelism)
      : this.chunkBytes;
    const files: string[] = [];
    let bytes = 0;
    while (this.queue.length && (files.length === 0 || bytes < target)) {
      const next = this.queue.shift() as { path: string; bytes: number };
      files.push(next.path);
      bytes += next.bytes;
    }
    this.queuedBytes -= bytes;
    return files;
  }

  private start(files: string[]): void {
    const child = spawn('promtool', ['check', 'rules', ...files], {
      env: { ...GO_TUNING, ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.running.add(child);
    const output: string[] = [];
    child.stdout?.setEncoding('utf8').on('data', (s: string) => output.push(s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => output.push(s));
    let done = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill();
    }, this.timeoutMs);
    const end = (ok: boolean, message?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.running.delete(child);
      if (ok) this.checkedFiles += files.length;
      else if (!this.failed) {
        // The first failure is the one to show; the processes it stops fail too, with nothing to say.
        this.failed = true;
        this.failures.push([output.join('').trim(), message].filter(Boolean).join('\n'));
        for (const other of this.running) other.kill();
      }
      this.pump();
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        this.missing = true;
        done = true;
        clearTimeout(timer);
        this.running.delete(child);
        this.pump();
      } else end(false, `promtool: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      if (timedOut) end(false, `promtool did not finish within ${this.timeoutMs / 1000} s`);
      else end(code === 0, signal ? `promtool stopped by ${signal}` : undefined);
    });
  }
}
