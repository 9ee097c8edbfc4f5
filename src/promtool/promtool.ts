import { spawnSync } from 'node:child_process';

export interface PromtoolResult {
  ok: boolean;
  output: string;
}

/** Runs promtool; undefined when it is not installed, so callers can say how to get it. */
export function promtool(
  args: string[],
  timeoutMs = 120_000,
  binary = 'promtool',
): PromtoolResult | undefined {
  const run = spawnSync(binary, args, { encoding: 'utf8', timeout: timeoutMs });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  if (run.error) return { ok: false, output: `${output}\npromtool: ${run.error.message}`.trim() };
  return { ok: run.status === 0, output };
}

export const PROMTOOL_MISSING =
  'promtool is not installed; on Debian: apt-get install --no-install-recommends prometheus';

let utf8NamesVerdict: boolean | undefined;

/**
 * Whether the promtool burnbook checks with reads UTF-8 label names (`{"http.route"="x"}`, Prometheus 3).
 * Without promtool nothing is checked, so nothing is refused on its account. Asked once per process.
 */
export function promtoolReadsUtf8Names(): boolean {
  if (utf8NamesVerdict === undefined) {
    const run = promtool(['--version'], 10_000);
    const major = Number(/version (\d+)\./.exec(run?.output ?? '')?.[1] ?? Number.NaN);
    utf8NamesVerdict = run === undefined || !(major < 3);
  }
  return utf8NamesVerdict;
}
