import { spawnSync } from 'node:child_process';

export interface PromtoolResult {
  ok: boolean;
  output: string;
}

/** Runs promtool; undefined when it is not installed, so callers can say how to get it. */
export function promtool(args: string[], timeoutMs = 120_000): PromtoolResult | undefined {
  const run = spawnSync('promtool', args, { encoding: 'utf8', timeout: timeoutMs });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  if (run.error) return { ok: false, output: `${output}\npromtool: ${run.error.message}`.trim() };
  return { ok: run.status === 0, output };
}

export const PROMTOOL_MISSING =
  'promtool is not installed; on Debian: apt-get install --no-install-recommends prometheus';
