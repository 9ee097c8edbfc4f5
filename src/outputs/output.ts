import type { Slo } from '../spec/model.ts';

/** One file of an output: where it goes, relative to the output's directory, and what it holds. */
export interface OutputFile {
  path: string;
  content: string;
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
