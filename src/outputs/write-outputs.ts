import { resolve } from 'node:path';
import type { Slo } from '../spec/model.ts';
import type { FileCheck, Output } from './output.ts';
import { type WriteReport, writeAtomically } from './write.ts';

/** An output's checker refused a file: nothing was written. The message names the files as people know them. */
export class OutputCheckFailed extends Error {}

export interface OutputsReport extends WriteReport {
  /** Files each output produced (written or unchanged), as its `counts` counts them. */
  counted: Map<Output, number>;
  /** Checks that could not run, to be said once the files are written. */
  warnings: string[];
}

/**
 * Writes every file of every output in one all-or-nothing step (write.ts). Files are rendered lazily, in
 * the outputs' order, and each output's check is handed its files the moment they are staged, so checking
 * (promtool) runs while the rest is rendered and written. Nothing is renamed into place unless every check
 * passed; then generated files under the directories outputs own that no output produced any more are
 * removed. Rejects with OutputCheckFailed when a check refused a file.
 */
export class OutputsRun {
  private readonly checks = new Map<Output, FileCheck>();
  private rendered = 0;

  constructor(
    private readonly outputs: readonly Output[],
    private readonly slos: readonly Slo[],
  ) {}

  /** One line on how far it got: files rendered, and each check's own progress. */
  progress(): string {
    return [`${this.rendered} files rendered`, ...[...this.checks.values()].map((c) => c.progress())].join(
      '; ',
    );
  }

  /** With `dryRun`, every file is rendered, staged and checked, and then removed again: nothing changes. */
  async write({ dryRun = false }: { dryRun?: boolean } = {}): Promise<OutputsReport> {
    const counted = new Map<Output, number>(this.outputs.map((o) => [o, 0]));
    const owner = new Map<string, Output>();
    // A checker names the temporary files it was given; people should read the names they asked for.
    const tempNames = new Map<string, string>();
    const run = this;
    function* files(): Generator<[string, string]> {
      for (const output of run.outputs) {
        for (const file of output.files(run.slos)) {
          const path = resolve(output.dir, file.path);
          owner.set(path, output);
          run.rendered++;
          if (output.counts?.(file) ?? true) counted.set(output, (counted.get(output) ?? 0) + 1);
          yield [path, file.content];
        }
      }
    }
    const warnings: string[] = [];
    try {
      const report = await writeAtomically(files(), {
        pruneDirs: this.outputs.filter((o) => o.prune).map((o) => resolve(o.dir)),
        dryRun,
        checked: (path) => owner.get(path)?.check !== undefined,
        staged: (path, temp, content) => {
          const output = owner.get(path) as Output;
          if (!output.check) return;
          let check = this.checks.get(output);
          if (!check) {
            check = output.check();
            this.checks.set(output, check);
          }
          tempNames.set(temp, path);
          check.add(temp, content);
        },
        verify: async () => {
          for (const check of this.checks.values()) {
            const verdict = await check.finish();
            if (verdict.ok && verdict.skipped !== undefined) warnings.push(verdict.skipped);
            if (verdict.ok) continue;
            let output = verdict.output;
            for (const [temp, path] of tempNames) output = output.replaceAll(temp, path);
            throw new OutputCheckFailed(`${verdict.problem}; nothing written:\n${output}`);
          }
        },
      });
      return { ...report, counted, warnings };
    } catch (error) {
      for (const check of this.checks.values()) check.stop();
      throw error;
    }
  }
}
