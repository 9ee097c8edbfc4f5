import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve('bin/burnbook.js');

/** Runs the burnbook CLI as a user would, in `cwd`, without colours; returns its exit code and output. */
export function burnbook(args: string[], env: Record<string, string> = {}, cwd = process.cwd()) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, all: `${run.stdout}${run.stderr}` };
}
