import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { burnbook } from './support/cli.ts';
import { exampleProject } from './support/scratch.ts';
import { requireTool } from './support/tools.ts';

/** Every file under `dir` (hidden temporary files too) with its content. */
function filesWithContent(dir: string): string[][] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name), 'utf8')]);
}

// `burnbook test` runs every generated promtool test of the examples: about 40 s alone, twice that on a busy
// machine (each evaluation computes every window's recordings and the two latched start records).
const PROMTOOL_TESTS_MS = 180_000;

describe('burnbook CLI', () => {
  it('validate: exit 0 and a count for the examples', () => {
    const run = burnbook(['validate', 'slos/']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/5 SLOs in 3 files are valid/);
  });

  it('validate: lists the first 50 SLOs and counts the rest, so the verdict stays in view', () => {
    const dir = exampleProject('burnbook-many-');
    const slos = Array.from({ length: 60 }, (_, i) =>
      [
        `  - name: handler-${i}`,
        '    objective: 99.9',
        '    sli:',
        '      ratio:',
        `        errors: http_requests_total{handler="h${i}",code=~"5.."}`,
        `        total: http_requests_total{handler="h${i}"}`,
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'slos', 'many.yaml'),
      `apiVersion: burnbook/v1\nservice: many\nslos:\n${slos.join('\n')}\n`,
    );
    const run = burnbook(['validate', 'slos/'], {}, dir);
    expect(run.code).toBe(0);
    expect(run.stderr.match(/^ {2}ok {2}/gm)).toHaveLength(50);
    expect(run.stderr).toContain('… and 15 more, all valid');
    expect(run.stdout).toMatch(/65 SLOs in 4 files are valid/);
  });

  it('validate: exit 1 with file:line:col, a caret and a hint', () => {
    const dir = exampleProject('cli');
    writeFileSync(
      join(dir, 'slos/bad.yaml'),
      'apiVersion: burnbook/v1\nservice: bad\nslos:\n  - name: x\n    objective: 0.999\n    sli: {ratio: {errors: \'a{code="500"}\', total: a}}\n',
    );
    const run = burnbook(['validate', 'slos/'], {}, dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'slos/bad.yaml:5:16  slos[0].objective: objective: 0.999 looks like a ratio',
    );
    expect(run.stderr).toContain('hint: objectives are percentages; write 99.9');
    expect(run.stderr).toMatch(/\n\s+\^\n/);
  });

  it('generate: nothing is written when any spec is invalid', () => {
    const dir = exampleProject('cli');
    expect(burnbook(['generate', 'slos/', '--out', 'out/'], {}, dir).code).toBe(0);
    const snapshot = () => filesWithContent(join(dir, 'out'));
    const before = snapshot();
    // A valid change to one file and an invalid second file: neither may land.
    writeFileSync(
      join(dir, 'slos/checkout.yaml'),
      readFileSync(join(dir, 'slos/checkout.yaml'), 'utf8').replace('99.5', '99.7'),
    );
    writeFileSync(join(dir, 'slos/zzz.yaml'), 'apiVersion: burnbook/v1\nservice: zzz\nslos: []\n');
    const run = burnbook(['generate', 'slos/', '--out', 'out/'], {}, dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/nothing written/);
    expect(snapshot()).toEqual(before);
    expect(readFileSync(join(dir, 'out/checkout.yaml'), 'utf8')).toContain('> 0.072');
  });

  it('generate: when promtool rejects one rule file, nothing is written and the error names that file', () => {
    const dir = exampleProject('cli');
    expect(burnbook(['generate', 'slos/', '--out', 'out/'], {}, dir).code).toBe(0);
    const snapshot = () => filesWithContent(join(dir, 'out'));
    const before = snapshot();
    // A promtool that rejects the ledger rules and checks the others for real, in parallel processes.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'promtool'),
      `#!/bin/sh\nfor f in "$@"; do case "$f" in *ledger.yaml*) echo "  FAILED: $f: rejected for the test"; exit 1;; esac; done\nexec ${requireTool('promtool')} "$@"\n`,
      { mode: 0o755 },
    );
    for (const spec of ['checkout', 'ledger', 'search']) {
      const file = join(dir, `slos/${spec}.yaml`);
      writeFileSync(file, `${readFileSync(file, 'utf8')}\n# changed\n`);
    }
    const run = burnbook(
      ['generate', 'slos/', '--out', 'out/', '--external-url', 'http://changed.test'],
      {
        PATH: `${bin}:${process.env.PATH}`,
      },
      dir,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rejected the generated rules; nothing written/);
    // The file as people know it, not the temporary name promtool was given.
    expect(run.stderr).toContain(`${join(dir, 'out/ledger.yaml')}: rejected for the test`);
    expect(run.stderr).not.toMatch(/\.tmp/);
    expect(snapshot()).toEqual(before);
  });

  it('generate: removes rule files of deleted services but never files it did not write', () => {
    const dir = exampleProject('cli');
    burnbook(['generate', 'slos/', '--out', 'out/'], {}, dir);
    writeFileSync(join(dir, 'out/hand-written.yaml'), 'groups: []\n');
    spawnSync('rm', [join(dir, 'slos/ledger.yaml')]);
    const run = burnbook(['generate', 'slos/', '--out', 'out/'], {}, dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/removed .*ledger\.yaml/);
    expect(existsSync(join(dir, 'out/ledger.yaml'))).toBe(false);
    expect(existsSync(join(dir, 'out/tests/ledger.settlement-freshness.test.yaml'))).toBe(false);
    expect(existsSync(join(dir, 'out/hand-written.yaml'))).toBe(true);
  });

  it(
    'generate reads BURNBOOK_EXTERNAL_URL, and test runs promtool check + every generated test',
    () => {
      const dir = exampleProject('cli');
      const gen = burnbook(
        ['generate', 'slos/', '--out', 'out/', '--alertmanager', 'alertmanager/burnbook.yaml'],
        {
          BURNBOOK_EXTERNAL_URL: 'https://burnbook.example.com',
        },
        dir,
      );
      expect(gen.code).toBe(0);
      expect(readFileSync(join(dir, 'out/checkout.yaml'), 'utf8')).toContain(
        'runbook_url: https://burnbook.example.com/runbooks/checkout/availability-fast-burn',
      );
      expect(readFileSync(join(dir, 'alertmanager/burnbook.yaml'), 'utf8')).toContain(
        'https://burnbook.example.com/hooks/alertmanager',
      );
      const test = burnbook(['test', '--rules', 'out/'], {}, dir);
      expect(test.all).toMatch(/3 rule files checked; 4 of 4 promtool tests passed/);
      expect(test.code).toBe(0);
    },
    PROMTOOL_TESTS_MS,
  );

  it('generate: an Alertmanager snippet inside --out is refused (exit 2), since Prometheus would glob it as rules', () => {
    const dir = exampleProject('cli');
    const run = burnbook(
      ['generate', 'slos/', '--out', 'out/', '--alertmanager', 'out/alertmanager.yaml'],
      {},
      dir,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--alertmanager out\/alertmanager\.yaml is inside --out out\//);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('Prometheus loads the committed rules/ with the README setting rule_files: [rules/*.yaml]', () => {
    const dir = exampleProject('cli');
    const gen = burnbook(
      ['generate', 'slos/', '--out', 'rules/', '--alertmanager', 'alertmanager/burnbook.yaml'],
      {},
      dir,
    );
    expect(gen.code).toBe(0);
    writeFileSync(join(dir, 'prometheus.yml'), 'rule_files: [rules/*.yaml]\n');
    const check = spawnSync(requireTool('promtool'), ['check', 'config', 'prometheus.yml'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(`${check.stdout}${check.stderr}`).toMatch(/SUCCESS: 3 rule files found/);
    expect(check.status).toBe(0);
  });

  it(
    'test: exit 1 when a generated test no longer holds',
    () => {
      const dir = exampleProject('cli');
      burnbook(['generate', 'slos/', '--out', 'out/'], {}, dir);
      const rules = join(dir, 'out/checkout.yaml');
      writeFileSync(rules, readFileSync(rules, 'utf8').replaceAll('> 0.072', '> 0.5'));
      const run = burnbook(['test', '--rules', 'out/'], {}, dir);
      expect(run.code).toBe(1);
      expect(run.all).toMatch(/FAIL\s+out\/tests\/checkout\.availability\.test\.yaml/);
    },
    PROMTOOL_TESTS_MS,
  );

  it('--help is complete for every command, with the environment variables', () => {
    for (const command of ['validate', 'generate', 'test', 'serve']) {
      const run = burnbook([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Usage: burnbook/);
    }
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    expect(flat(burnbook(['serve', '--help']).stdout)).toContain('env: BURNBOOK_PROMETHEUS_URL');
    expect(flat(burnbook(['generate', '--help']).stdout)).toContain('env: BURNBOOK_EXTERNAL_URL');
  });

  it('a usage error exits 2 and says what is wrong', () => {
    const run = burnbook(['generat']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'generat'/);
  });
});
