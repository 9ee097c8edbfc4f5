import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('package-lock.json', () => {
  // `npm ci` on a fresh machine refuses a lockfile that lacks any platform's optional packages
  // (e.g. Biome's darwin binaries): the quick start would fail before anything runs.
  it('is in sync with package.json for every platform, so npm ci works on a fresh machine', () => {
    const cache = mkdtempSync(join(tmpdir(), 'burnbook-npm-cache-'));
    const run = spawnSync(
      'npm',
      ['ci', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, npm_config_cache: cache } },
    );
    const missing = `${run.stdout}${run.stderr}`.split('\n').filter((line) => /Missing:|Invalid:/.test(line));
    expect(missing, 'run npm install and commit package-lock.json').toEqual([]);
    expect(run.status).toBe(0);
  });
});
