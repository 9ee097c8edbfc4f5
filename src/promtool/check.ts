import type { FileCheck } from '../outputs/output.ts';
import { PromtoolPool } from './pool.ts';
import { PROMTOOL_MISSING } from './promtool.ts';

/**
 * `promtool check rules` on every rule file an output stages, in a pool of processes that starts on the
 * first file while the rest are rendered. Without promtool the files are written with a warning.
 */
export function promtoolCheck(): FileCheck {
  const pool = new PromtoolPool();
  let added = 0;
  return {
    add(tempPath, content) {
      added++;
      pool.add(tempPath, content.length);
    },
    progress: () => `promtool checked ${pool.checked} of ${added} rule files`,
    async finish() {
      const outcome = await pool.finish();
      if (outcome.missing) return { ok: true, skipped: `Not checked with promtool: ${PROMTOOL_MISSING}` };
      if (outcome.ok) return { ok: true };
      return {
        ok: false,
        problem: 'promtool check rules rejected the generated rules',
        output: outcome.output,
      };
    },
    stop: () => pool.stop(),
  };
}
