import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomically } from '../src/outputs/write.ts';
import { loadSpecs, loadSpecText } from '../src/spec/load.ts';
import { burnbook } from './support/cli.ts';

/** Hostile and unusual spec files: each a clear error (or a clean load) in bounded time, never a hang or a trace. */

const SPEC = `apiVersion: burnbook/v1
service: api
slos:
  - name: availability
    objective: 99.9
    sli: {ratio: {errors: 'x_total{code="500"}', total: x_total}}
`;

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'burnbook-files-'));
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = f();
  return { value, ms: performance.now() - started };
}

describe('hostile spec files', () => {
  it('an alias bomb is an error at its line, quickly', () => {
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i++)
      bomb += `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    const { value, ms } = timed(() => loadSpecText(bomb, 'bomb.yaml'));
    expect(value.errors[0]?.message).toMatch(/alias bomb/);
    expect(value.errors[0]?.line).toBeGreaterThan(1);
    expect(ms).toBeLessThan(5000);
  });

  it('5,000 levels of nesting, flow or block, are an error, not a stack overflow', () => {
    for (const text of [
      `a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
      `${'- '.repeat(5000)}1\n`,
      `a: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`,
      `a: ${'['.repeat(100)}${']'.repeat(100)}\n`,
    ]) {
      const { errors } = loadSpecText(text, 'deep.yaml');
      expect(errors[0]?.message).toMatch(/nest/);
    }
  });

  it('a symlink loop, a FIFO, a device and a 100 MB file named *.yaml are each one clear error', () => {
    const d = dir();
    symlinkSync(join(d, 'loop-b.yaml'), join(d, 'loop-a.yaml'));
    symlinkSync(join(d, 'loop-a.yaml'), join(d, 'loop-b.yaml'));
    mkdirSync(join(d, 'sub'));
    symlinkSync(d, join(d, 'sub', 'again'));
    execFileSync('mkfifo', [join(d, 'pipe.yaml')]);
    symlinkSync('/dev/zero', join(d, 'zero.yaml'));
    writeFileSync(join(d, 'huge.yaml'), Buffer.alloc(100 * 2 ** 20, 'a'));
    writeFileSync(join(d, 'ok.yaml'), SPEC);
    const { value, ms } = timed(() => loadSpecs([d]));
    const byFile = Object.fromEntries(value.errors.map((e) => [e.file.replace(/.*\//, ''), e.message]));
    expect(byFile).toEqual({
      'loop-a.yaml': 'a loop of symbolic links',
      'loop-b.yaml': 'a loop of symbolic links',
      'pipe.yaml': 'a FIFO, not a spec file',
      'zero.yaml': 'a device, not a spec file',
      'huge.yaml': '100 MiB, larger than the 8 MiB burnbook reads in one spec file',
    });
    expect(value.slos.map((s) => s.name)).toEqual(['availability']);
    expect(ms).toBeLessThan(5000);
    const run = burnbook(['validate', d]);
    expect(run.code).toBe(1);
    expect(run.all).not.toMatch(/\n\s+at /);
  });

  it('a Kubernetes ConfigMap mount (..data symlink, ..<timestamp> directory) loads each spec once', () => {
    const d = dir();
    mkdirSync(join(d, '..2024_06_01_10_00_00.123456789'));
    writeFileSync(join(d, '..2024_06_01_10_00_00.123456789', 'api.yaml'), SPEC);
    symlinkSync('..2024_06_01_10_00_00.123456789', join(d, '..data'));
    symlinkSync('..data/api.yaml', join(d, 'api.yaml'));
    const { slos, errors, files } = loadSpecs([d]);
    expect(errors).toEqual([]);
    expect(files).toEqual([join(d, 'api.yaml')]);
    expect(slos).toHaveLength(1);
  });
});

describe('generate is all or nothing when a rename fails half-way', () => {
  for (const code of ['EBUSY', 'ENOSPC']) {
    it(`${code} on the third rename: the files replaced are restored, no temporary file is left, one line says why`, async () => {
      const d = dir();
      const paths = ['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml'].map((f) => join(d, f));
      await writeAtomically(paths.map((p) => [p, `old ${p}\n`] as const));
      let renames = 0;
      const failing = async () =>
        writeAtomically(
          [...paths.map((p) => [p, `new ${p}\n`] as const), [join(d, 'e.yaml'), 'new e\n'] as const],
          {
            rename: (from, to) => {
              if (++renames === 3) throw Object.assign(new Error(`${code}: failed`), { code });
              renameSync(from, to);
            },
          },
        );
      await expect(failing()).rejects.toThrow(
        new RegExp(
          `^could not replace .*c\\.yaml \\(${code}\\); the 2 files already replaced were restored, nothing changed$`,
        ),
      );
      for (const p of paths) expect(readFileSync(p, 'utf8')).toBe(`old ${p}\n`);
      expect(execFileSync('ls', ['-A', d], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual([
        'a.yaml',
        'b.yaml',
        'c.yaml',
        'd.yaml',
      ]);
    });
  }
});
