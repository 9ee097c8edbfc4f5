import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROMTOOL_MISSING, promtool } from '../promtool/promtool.ts';
import type { FlagsOf } from './flags.ts';
import { EXIT, paint, progress } from './terminal.ts';

function yamlFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(dir, f))
      .sort();
  } catch {
    return [];
  }
}

/** `promtool check rules` on every rule file, then `promtool test rules` on every test file. */
export async function testCommand(opts: FlagsOf<'test'>): Promise<void> {
  const rules = yamlFiles(opts.rules);
  const tests = yamlFiles(join(opts.rules, 'tests'));
  if (!rules.length) {
    console.error(`No rule files in ${opts.rules}; run burnbook generate first.`);
    process.exitCode = EXIT.invalid;
    return;
  }
  progress(`promtool check rules: ${rules.length} files`);
  const check = promtool(['check', 'rules', ...rules]);
  if (!check) {
    console.error(PROMTOOL_MISSING);
    process.exitCode = EXIT.environment;
    return;
  }
  if (!check.ok) {
    console.error(check.output);
    process.exitCode = EXIT.invalid;
    return;
  }
  let failed = 0;
  for (const file of tests) {
    const started = Date.now();
    const run = promtool(['test', 'rules', file], 600_000);
    const ok = run?.ok ?? false;
    progress(
      `  ${ok ? paint('green', 'pass') : paint('red', 'FAIL')}  ${file}  ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    if (!ok) {
      failed++;
      console.error(run?.output ?? PROMTOOL_MISSING);
    }
  }
  console.log(
    `${rules.length} rule files checked; ${tests.length - failed} of ${tests.length} promtool tests passed.`,
  );
  if (failed) process.exitCode = EXIT.invalid;
}
