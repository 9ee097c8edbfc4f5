import { rmSync, writeFileSync } from 'node:fs';
import type { FileCheck } from '../outputs/output.ts';
import { PromtoolPool } from './pool.ts';
import { PROMTOOL_MISSING } from './promtool.ts';

/**
 * `promtool check rules` on every rule file an output stages, in a pool of processes that starts on the
 * first file while the rest are rendered. Without promtool the files are written with a warning.
 * `ruleGroups`: for files that wrap the rule groups (a PrometheusRule, a Mimir namespace), the plain rule
 * file inside, which is checked from a file beside the staged one (`<temp>.groups`).
 */
export function promtoolCheck(ruleGroups?: (content: string) => string): FileCheck {
  const pool = new PromtoolPool();
  const extracted: string[] = [];
  const cleanUp = () => {
    for (const path of extracted) rmSync(path, { force: true });
  };
  let added = 0;
  return {
    add(tempPath, content) {
      added++;
      if (!ruleGroups) return pool.add(tempPath, content.length);
      const groups = ruleGroups(content);
      const path = `${tempPath}.groups`;
      writeFileSync(path, groups);
      extracted.push(path);
      pool.add(path, groups.length);
    },
    progress: () => `promtool checked ${pool.checked} of ${added} rule files`,
    async finish() {
      const outcome = await pool.finish().finally(cleanUp);
      if (outcome.missing) return { ok: true, skipped: `Not checked with promtool: ${PROMTOOL_MISSING}` };
      if (outcome.ok) return { ok: true };
      return {
        ok: false,
        problem: 'promtool check rules rejected the generated rules',
        output: outcome.output,
      };
    },
    stop: () => {
      pool.stop();
      cleanUp();
    },
  };
}
