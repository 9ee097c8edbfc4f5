import type { Slo } from '../spec/model.ts';

/** One file of an output: where it goes, relative to the output's directory, and what it holds. */
export interface OutputFile {
  path: string;
  /**
   * The SLOs its content is made from: with the flags and the code, all it depends on, so a file whose
   * SLOs did not change is known without rendering it (cache/renders.ts). All of them for a file that
   * aggregates every SLO; none for one that depends on the flags alone.
   */
  from: readonly Slo[];
  /**
   * Rendered on first read; undefined when, once rendered, the SLOs give this output no such file after all
   * (an SLO whose SLI cannot be fed test series has no promtool test).
   */
  readonly content: string | undefined;
}

/** A file as written: the files of an output that exist (renderedFiles). */
export interface RenderedFile {
  path: string;
  content: string;
}

/** An output's files, each rendered, without those that turn out not to exist: what `generate` writes. */
export function renderedFiles(output: Output, slos: readonly Slo[]): RenderedFile[] {
  const files: RenderedFile[] = [];
  for (const { path, content } of output.files(slos))
    if (content !== undefined) files.push({ path, content });
  return files;
}

/** A file whose content is rendered the first time it is read, then kept. */
export function outputFile(path: string, from: readonly Slo[], render: () => string | undefined): OutputFile {
  let rendered = false;
  let content: string | undefined;
  return {
    path,
    from,
    get content() {
      if (!rendered) content = render();
      rendered = true;
      return content;
    },
  };
}

/**
 * Something `generate` writes for the model: rule files, their promtool tests, the Alertmanager snippet,
 * Grafana dashboards. Each is one file or folder under `outputs/` implementing this; `generate` picks them
 * from its flags, and write-outputs.ts writes every file of every one in one all-or-nothing step.
 */
export interface Output {
  /** What its files are, for the summary line: `rule files`, `promtool tests`, `dashboards`. */
  readonly name: string;
  /** Where its files' paths resolve. */
  readonly dir: string;
  /**
   * Whether the output owns `dir`: files burnbook generated there earlier that this run no longer produces
   * are removed. A single file in someone else's directory (the Alertmanager snippet) owns nothing.
   */
  readonly prune: boolean;
  /** Its files, produced lazily so each can be written and let go; pure, so tests need no disk. */
  files(slos: readonly Slo[]): Iterable<OutputFile>;
  /** Which of its files the summary counts (dashboards, not provisioning files); all when absent. */
  counts?(file: OutputFile): boolean;
  /** A check of every file once staged; nothing is renamed into place unless all of them pass. */
  check?(): FileCheck;
}

/** A checker fed each file as it is staged, so checking runs while the rest is still rendered. */
export interface FileCheck {
  /** One of the output's files, on disk under a temporary name. */
  add(tempPath: string, content: string): void;
  /**
   * Whether a file with content of this SHA-256 needs no check, because that very content passed before;
   * then it is counted as checked and need not be staged. Absent: every file is staged and added.
   */
  passedBefore?(digest: string): boolean;
  /** How far it got, for the status line. */
  progress(): string;
  /** Waits for every file added. */
  finish(): Promise<CheckVerdict>;
  /** Stops checking: the write failed for another reason. */
  stop(): void;
}

export type CheckVerdict =
  | { ok: true; skipped?: undefined }
  /** The checker could not run (not installed): the files are written, with this warning. */
  | { ok: true; skipped: string }
  /** `problem` says who rejected what; `output` is what the checker printed, temporary names included. */
  | { ok: false; problem: string; output: string };
