import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_MARKER } from '../src/outputs/generated.ts';
import { writeAtomically } from '../src/outputs/write.ts';
import { PromtoolPool } from '../src/promtool/pool.ts';
import { requireTool } from './support/tools.ts';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'burnbook-write-'));
}

/** Every file under `dir` with its content, temporary files included. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name)] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

function ruleFile(record: string): string {
  return `${GENERATED_MARKER}\ngroups:\n  - name: g\n    rules:\n      - record: ${record}\n        expr: vector(1)\n`;
}

/** Twelve rule files, checked in chunks of about one file by two promtools at once, as generate does. */
async function writeChecked(dir: string, records: string[]) {
  const pool = new PromtoolPool({ parallelism: 2, chunkBytes: 1 });
  const files = new Map(
    records.map((r, i) => [join(dir, `r${String(i).padStart(2, '0')}.yaml`), ruleFile(r)]),
  );
  try {
    return await writeAtomically(files, {
      pruneDirs: [dir],
      staged: (_path, temp, content) => pool.add(temp, content.length),
      verify: async () => {
        const check = await pool.finish();
        if (!check.ok) throw new Error(check.output);
      },
    });
  } finally {
    pool.stop();
  }
}

const GOOD = Array.from({ length: 12 }, (_, i) => `job:good_${i}:rate5m`);

describe('writeAtomically with parallel promtool checks', () => {
  it('writes, then rewrites nothing unchanged and prunes only its own files', async () => {
    requireTool('promtool');
    const dir = scratch();
    const first = await writeChecked(dir, GOOD);
    expect(first.written).toHaveLength(12);
    writeFileSync(join(dir, 'hand-written.yaml'), 'groups: []\n');
    const again = await writeChecked(dir, GOOD.slice(0, 10));
    expect(again.written).toEqual([]);
    expect(again.unchanged).toHaveLength(10);
    expect(again.removed.map((p) => p.slice(dir.length + 1)).sort()).toEqual(['r10.yaml', 'r11.yaml']);
    expect(Object.keys(snapshot(dir)).map((p) => p.slice(dir.length + 1))).toContain('hand-written.yaml');
  });

  it('removes temporary files a killed generate left behind, and only those', async () => {
    requireTool('promtool');
    const dir = scratch();
    const gone = spawnSync('true').pid;
    const leftover = join(dir, `.r00.yaml.${gone}.tmp`);
    const ours = join(dir, `.r00.yaml.${process.pid}.tmp.keep`);
    const someoneElses = join(dir, `.notes.yaml.${gone}.tmp`);
    writeFileSync(leftover, ruleFile('job:left:rate5m'));
    writeFileSync(ours, ruleFile('job:left:rate5m'));
    writeFileSync(someoneElses, 'hand-written\n');
    const report = await writeChecked(dir, GOOD);
    expect(report.removed).toEqual([]);
    expect(Object.keys(snapshot(dir))).not.toContain(leftover);
    expect(Object.keys(snapshot(dir))).toEqual(expect.arrayContaining([ours, someoneElses]));
  });

  it('writes nothing when promtool rejects one chunk among several running in parallel', async () => {
    requireTool('promtool');
    const dir = scratch();
    await writeChecked(dir, GOOD);
    mkdirSync(join(dir, 'sub'));
    const before = snapshot(dir);
    // Every file changes; one of them, in the middle, is not a valid rule for promtool.
    const changed = GOOD.map((r, i) => (i === 7 ? 'not a valid metric name' : r.replace('good', 'new')));
    await expect(writeChecked(dir, changed)).rejects.toThrow(
      /r07\.yaml\.\d+\.tmp[\s\S]*invalid recording rule name/,
    );
    // Not a file changed, none removed, no temporary file left behind.
    expect(snapshot(dir)).toEqual(before);
  });

  it('gives up on a promtool that hangs, and says so', async () => {
    const bin = scratch();
    writeFileSync(join(bin, 'promtool'), '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    const pool = new PromtoolPool({ parallelism: 2, timeoutMs: 300 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      pool.add('/nonexistent/rules.yaml', 10);
      const outcome = await pool.finish();
      expect(outcome).toMatchObject({ ok: false, missing: false, checked: 0 });
      expect(outcome.output).toContain('promtool did not finish within 0.3 s');
    } finally {
      process.env.PATH = path;
    }
  });

  it('reports a missing promtool instead of failing, and checks nothing', async () => {
    const pool = new PromtoolPool({ parallelism: 2 });
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      pool.add('/nonexistent/rules.yaml', 10);
      expect(await pool.finish()).toMatchObject({ ok: false, missing: true, checked: 0 });
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('writeAtomically, dry run', () => {
  it('stages only the files a check reads, reports every file, and leaves the directory as it was', async () => {
    const dir = scratch();
    const seen: string[] = [];
    const report = await writeAtomically(
      [
        [join(dir, 'rules.yaml'), ruleFile('job:a:rate5m')],
        [join(dir, 'tests', 'a.test.yaml'), 'tests: []\n'],
      ],
      {
        dryRun: true,
        checked: (path) => path.endsWith('rules.yaml'),
        staged: (_path, temp, content) => {
          expect(readFileSync(temp, 'utf8')).toBe(content);
          seen.push(temp);
        },
      },
    );
    expect(seen).toHaveLength(1);
    expect(report.written.sort()).toEqual([join(dir, 'rules.yaml'), join(dir, 'tests', 'a.test.yaml')]);
    expect(snapshot(dir)).toEqual({});
  });
});
