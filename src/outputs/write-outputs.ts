import { resolve } from 'node:path';
import type { RenderedDigests } from '../cache/renders.ts';
import type { Slo } from '../spec/model.ts';
import type { FileCheck, Output } from './output.ts';
import { type PlannedFile, type WriteReport, writeAtomically } from './write.ts';

function noLongerAFile(path: string): never {
  throw new Error(
    `${path}: rendered to a file in an earlier run, to none now: the render cache is inconsistent`,
  );
}

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
 *
 * With `renders`, a file made from the same SLOs as in an earlier run is not rendered to learn its content:
 * its SHA-256 is known, and compared with the file on disk (generate) or looked up among the contents its
 * check passed before (validate).
 */
export class OutputsRun {
  private readonly checks = new Map<Output, FileCheck>();
  private planned = 0;
  private rendered = 0;

  constructor(
    private readonly outputs: readonly Output[],
    private readonly slos: readonly Slo[],
    private readonly renders?: RenderedDigests,
  ) {}

  private checkOf(output: Output): FileCheck | undefined {
    if (!output.check) return undefined;
    let check = this.checks.get(output);
    if (!check) {
      check = output.check();
      this.checks.set(output, check);
    }
    return check;
  }

  /** One line on how far it got: files gone through and rendered, and each check's own progress. */
  progress(): string {
    const files = `${this.planned} files (${this.rendered} rendered, the rest known from the last run)`;
    return [files, ...[...this.checks.values()].map((c) => c.progress())].join('; ');
  }

  /** With `dryRun`, every file is rendered, staged and checked, and then removed again: nothing changes. */
  async write({ dryRun = false }: { dryRun?: boolean } = {}): Promise<OutputsReport> {
    const counted = new Map<Output, number>(this.outputs.map((o) => [o, 0]));
    const owner = new Map<string, Output>();
    // A checker names the temporary files it was given; people should read the names they asked for.
    const tempNames = new Map<string, string>();
    const run = this;
    const renders = this.renders;
    function* files(): Generator<PlannedFile> {
      for (const output of run.outputs) {
        for (const file of output.files(run.slos)) {
          run.planned++;
          const key = renders?.keyOf(output.name, file.path, file.from);
          const known = key === undefined ? undefined : renders?.known(key);
          if (known === null) continue;
          let digest = known;
          const render = () => {
            run.rendered++;
            const content = file.content;
            if (key !== undefined) digest = renders?.rendered(key, content);
            return content;
          };
          // Not known from an earlier run: rendered now, which also tells whether the file exists at all.
          const content = known === undefined ? render() : undefined;
          if (known === undefined && content === undefined) continue;
          const path = resolve(output.dir, file.path);
          owner.set(path, output);
          if (output.counts?.(file) ?? true) counted.set(output, (counted.get(output) ?? 0) + 1);
          if (content === undefined) yield [path, () => render() ?? noLongerAFile(path), known];
          else if (digest === undefined) yield [path, content];
          // Rendered just now: its digest, taken once, serves the disk comparison and promtool's verdicts too.
          else yield [path, () => content, digest];
        }
      }
    }
    const warnings: string[] = [];
    try {
      const report = await writeAtomically(files(), {
        pruneDirs: this.outputs.filter((o) => o.prune).map((o) => resolve(o.dir)),
        dryRun,
        checked: (path) => owner.get(path)?.check !== undefined,
        ...(this.renders ? { disk: this.renders } : {}),
        passedBefore: (path, digest) =>
          this.checkOf(owner.get(path) as Output)?.passedBefore?.(digest) ?? false,
        staged: (path, temp, content) => {
          const check = this.checkOf(owner.get(path) as Output);
          if (!check) return;
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
      this.renders?.save();
      return { ...report, counted, warnings };
    } catch (error) {
      for (const check of this.checks.values()) check.stop();
      throw error;
    }
  }
}
