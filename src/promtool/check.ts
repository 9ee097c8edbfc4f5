import type { FileCheck } from '../outputs/output.ts';
import { PromtoolPool } from './pool.ts';
import { PROMTOOL_MISSING } from './promtool.ts';
import { checkerIdentity, type VerdictCache, verdictCache } from './verdicts.ts';

/**
 * `promtool check rules` on every rule file an output stages, in a pool of processes that starts on the
 * first file while the rest are rendered. A file whose very content passed the same promtool before is
 * not checked again (verdicts.ts). Without promtool the files are written with a warning.
 */
export function promtoolCheck(
  openVerdicts: () => VerdictCache | undefined = () => {
    const identity = checkerIdentity();
    return identity === undefined ? undefined : verdictCache(identity);
  },
): FileCheck {
  const pool = new PromtoolPool();
  let added = 0;
  let known = 0;
  let verdicts: VerdictCache | undefined | null = null;
  const checking: string[] = [];
  return {
    add(tempPath, content) {
      added++;
      // Asked on the first file, so a run that stages nothing never starts promtool.
      if (verdicts === null) verdicts = openVerdicts();
      const key = verdicts?.key(content);
      if (key !== undefined && verdicts?.passed(key)) {
        known++;
        return;
      }
      if (key !== undefined) checking.push(key);
      pool.add(tempPath, content.length);
    },
    progress: () =>
      `promtool checked ${pool.checked + known} of ${added} rule files${known ? ` (${known} passed before, unchanged)` : ''}`,
    async finish() {
      const outcome = await pool.finish();
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
    stop: () => pool.stop(),
  };
}
