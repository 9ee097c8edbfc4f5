import { rmSync, writeFileSync } from 'node:fs';
import type { FileCheck } from '../outputs/output.ts';
import { PromtoolPool } from './pool.ts';
import { PROMTOOL_MISSING } from './promtool.ts';
import { checkerIdentity, type VerdictCache, verdictCache } from './verdicts.ts';

function rememberedVerdicts(): VerdictCache | undefined {
  const identity = checkerIdentity();
  return identity === undefined ? undefined : verdictCache(identity);
}

/**
 * `promtool check rules` on every rule file an output stages, in a pool of processes that starts on the
 * first file while the rest are rendered. A file whose very content passed the same promtool before is
 * not checked again (verdicts.ts). Without promtool the files are written with a warning.
 * `ruleGroups`: for files that wrap the rule groups (a PrometheusRule, a Mimir namespace), the plain rule
 * file inside, which is checked from a file beside the staged one (`<temp>.groups`).
 */
export function promtoolCheck(
  ruleGroups?: (content: string) => string,
  openVerdicts: () => VerdictCache | undefined = rememberedVerdicts,
): FileCheck {
  const pool = new PromtoolPool();
  const extracted: string[] = [];
  const cleanUp = () => {
    for (const path of extracted) rmSync(path, { force: true });
  };
  let added = 0;
  let known = 0;
  let verdicts: VerdictCache | undefined | null = null;
  const checking: string[] = [];
  return {
    add(tempPath, content) {
      added++;
      const checked = ruleGroups ? ruleGroups(content) : content;
      // Asked on the first file, so a run that stages nothing never starts promtool.
      if (verdicts === null) verdicts = openVerdicts();
      const key = verdicts?.key(checked);
      if (key !== undefined && verdicts?.passed(key)) {
        known++;
        return;
      }
      if (key !== undefined) checking.push(key);
      if (!ruleGroups) return pool.add(tempPath, content.length);
      const path = `${tempPath}.groups`;
      writeFileSync(path, checked);
      extracted.push(path);
      pool.add(path, checked.length);
    },
    passedBefore(digest) {
      // A wrapped file's check reads the groups inside it, whose digest is not known without rendering.
      if (ruleGroups) return false;
      if (verdicts === null) verdicts = openVerdicts();
      if (!verdicts?.passed(verdicts.keyOfDigest(digest))) return false;
      added++;
      known++;
      return true;
    },
    progress: () =>
      `promtool checked ${pool.checked + known} of ${added} rule files${known ? ` (${known} passed before, unchanged)` : ''}`,
    async finish() {
      const outcome = await pool.finish().finally(cleanUp);
      if (outcome.missing) return { ok: true, skipped: `Not checked with promtool: ${PROMTOOL_MISSING}` };
      if (!outcome.ok) {
        return {
          ok: false,
          problem: 'promtool check rules rejected the generated rules',
          output: outcome.output,
        };
      }
      verdicts?.rememberPassed(checking);
      return { ok: true };
    },
    stop: () => {
      pool.stop();
      cleanUp();
    },
  };
}
