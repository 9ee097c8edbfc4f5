import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpecText } from '../src/spec/load.ts';
import { testApp } from './support/app.ts';

/**
 * An SLO's `runbook:` file is published on a page, so it may only be a regular markdown file under the
 * runbooks directory or in the spec's repository: `validate` refuses anything else at the spec's line,
 * and the server checks again on every read, since the file may have been replaced by a link since.
 */

const BIN = resolve('bin/burnbook.js');
const SLI = '{ratio: {errors: \'x{code="5"}\', total: x}}';

/** A repository (it has a .git) with runbooks/ and specs/, outside which lies an outside.md. */
function repository() {
  const root = mkdtempSync(join(tmpdir(), 'burnbook-confine-'));
  const repo = join(root, 'repo');
  for (const dir of ['.git', 'runbooks', 'specs', 'docs']) mkdirSync(join(repo, dir), { recursive: true });
  writeFileSync(join(root, 'outside.md'), '# Outside\n\n## Symptoms\n\nSECRET-FROM-OUTSIDE\n');
  writeFileSync(join(repo, 'runbooks', 'own.md'), '# Own\n\n## Symptoms\n\nOwn symptoms.\n');
  writeFileSync(join(repo, 'docs', 'api.md'), '# API\n\n## Symptoms\n\nDocs symptoms.\n');
  return { root, repo };
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('validate', () => {
  it('refuses runbook files outside, behind links, and anything but regular markdown, at file:line', () => {
    const { root, repo } = repository();
    made.push(root);
    symlinkSync(join(root, 'outside.md'), join(repo, 'runbooks', 'leak.md'));
    symlinkSync('/etc/passwd', join(repo, 'runbooks', 'passwd.md'));
    mkdirSync(join(repo, 'runbooks', 'folder.md'));
    writeFileSync(join(repo, 'runbooks', 'notes.txt'), 'notes');
    // A FIFO: reading it would wait for a writer forever.
    execFileSync('mkfifo', [join(repo, 'runbooks', 'pipe.md')]);
    const runbooks = [
      '/proc/self/environ',
      '../../../../../../../etc/passwd',
      '../outside.md',
      'runbooks/leak.md',
      'runbooks/passwd.md',
      'runbooks/folder.md',
      'runbooks/notes.txt',
      'runbooks/pipe.md',
      'runbooks/own.md',
      'docs/api.md',
    ];
    const spec = [
      'apiVersion: burnbook/v1',
      'service: confine',
      'slos:',
      ...runbooks.flatMap((runbook, i) => [
        `  - name: s${i}`,
        '    objective: 99',
        `    sli: ${SLI}`,
        `    runbook: ${runbook}`,
      ]),
    ].join('\n');
    writeFileSync(join(repo, 'specs', 'slos.yaml'), spec);

    const run = spawnSync(process.execPath, [BIN, 'validate', 'specs'], { cwd: repo, encoding: 'utf8' });
    expect(run.status).toBe(1);
    const errors = [
      ...run.stderr.matchAll(/^specs\/slos\.yaml:(\d+):\d+ +slos\[(\d+)\]\.runbook: (.*)$/gm),
    ].map((m) => [runbooks[Number(m[2])], Number(m[1]), m[3]]);
    const line = (i: number) => 3 + 4 * i + 4;
    expect(errors).toEqual([
      [
        runbooks[0],
        line(0),
        expect.stringMatching(/outside the runbooks directory \(runbooks\/\) and the spec's repository/),
      ],
      [runbooks[1], line(1), expect.stringMatching(/is outside the runbooks directory/)],
      [runbooks[2], line(2), expect.stringMatching(/is outside the runbooks directory/)],
      [runbooks[3], line(3), expect.stringMatching(/leads to .*outside\.md, outside the runbooks directory/)],
      [runbooks[4], line(4), expect.stringMatching(/leads to \/etc\/passwd, outside/)],
      [runbooks[5], line(5), 'runbook file runbooks/folder.md is not a markdown file'],
      [runbooks[6], line(6), 'runbook file runbooks/notes.txt is not a markdown file'],
      [runbooks[7], line(7), 'runbook file runbooks/pipe.md is not a markdown file'],
    ]);
    expect(run.stderr).toContain('8 errors in 1 file(s); nothing written.');
    expect(run.stderr).not.toContain('SECRET-FROM-OUTSIDE');
  });

  it('takes a runbook under --runbooks even outside the repository', () => {
    const { root, repo } = repository();
    made.push(root);
    const spec = `apiVersion: burnbook/v1\nservice: confine\nslos:\n  - name: s\n    objective: 99\n    sli: ${SLI}\n    runbook: ../outside.md\n`;
    writeFileSync(join(repo, 'specs', 'slos.yaml'), spec);
    const refused = spawnSync(process.execPath, [BIN, 'validate', 'specs'], { cwd: repo, encoding: 'utf8' });
    expect(refused.status).toBe(1);
    const taken = spawnSync(process.execPath, [BIN, 'validate', 'specs', '--runbooks', root], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(taken.stderr).toBe('  ok  confine/s  99%  tiers: fast, slow, very-slow\n');
    expect(taken.status).toBe(0);
  });
});

describe('the server', () => {
  it('does not publish a runbook file that became a link to outside after validation', async () => {
    const { root, repo } = repository();
    made.push(root);
    const runbooksDir = join(repo, 'runbooks');
    const own = join(runbooksDir, 'own.md');
    const spec = `apiVersion: burnbook/v1\nservice: confine\nslos:\n  - name: s\n    objective: 99\n    sli: ${SLI}\n    runbook: ${own}\n`;
    const { slos, errors } = loadSpecText(spec, join(repo, 'specs', 'slos.yaml'), { runbooksDir });
    expect(errors).toEqual([]);
    const app = await testApp({ slos, runbooksDir });
    try {
      const page = '/runbooks/confine/s-fast-burn';
      expect((await app.inject({ url: page })).body).toContain('Own symptoms.');
      rmSync(own);
      symlinkSync(join(root, 'outside.md'), own);
      const html = (await app.inject({ url: page })).body;
      expect(html).not.toContain('SECRET-FROM-OUTSIDE');
      expect((await app.inject({ url: '/slos/confine/s' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
