import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENERATED_MARKER } from '../src/outputs/generated.ts';
import { promtoolCheck } from '../src/promtool/check.ts';
import { checkerIdentity, verdictCache } from '../src/promtool/verdicts.ts';
import { requireTool } from './support/tools.ts';

const rule = (record: string) =>
  `${GENERATED_MARKER}\ngroups:\n  - name: g\n    rules:\n      - record: ${record}\n        expr: vector(1)\n`;

let dir: string;
let savedPath: string | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'burnbook-verdicts-'));
  savedPath = process.env.PATH;
  // A promtool in front of the real one that logs which files each `check rules` was given, and says the
  // version in $FAKE_PROMTOOL_VERSION when it is set (another promtool, same path).
  const real = requireTool('promtool');
  writeFileSync(
    join(dir, 'promtool'),
    `#!/bin/sh\nif [ "$1" = --version ] && [ -n "$FAKE_PROMTOOL_VERSION" ]; then echo "promtool, version $FAKE_PROMTOOL_VERSION"; exit 0; fi\n` +
      `[ "$1" = check ] && echo "$@" >> ${join(dir, 'calls.log')}\nexec ${real} "$@"\n`,
    { mode: 0o755 },
  );
  process.env.PATH = `${dir}${delimiter}${savedPath}`;
});

afterEach(() => {
  process.env.PATH = savedPath;
  delete process.env.FAKE_PROMTOOL_VERSION;
});

/** Checks these rule files as generate does, with verdicts kept in the test's directory; the files promtool saw. */
async function check(files: Record<string, string>, burnbookVersion?: string) {
  const calls = () => {
    try {
      return readFileSync(join(dir, 'calls.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const before = calls().length;
  const checker = promtoolCheck(undefined, () => {
    const identity = checkerIdentity(process.env, burnbookVersion);
    return identity === undefined ? undefined : verdictCache(identity, join(dir, 'cache'));
  });
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, content);
    checker.add(path, content);
  }
  const verdict = await checker.finish();
  const seen = calls()
    .slice(before)
    .split(/\s+/)
    .filter((word) => word.endsWith('.yaml'))
    .map((path) => path.slice(dir.length + 1));
  return { verdict, seen: seen.sort() };
}

describe('promtool verdicts remembered by content', () => {
  it('checks a file again only when its content, promtool or burnbook changed', async () => {
    const files = { 'a.yaml': rule('job:a:rate5m'), 'b.yaml': rule('job:b:rate5m') };
    expect(await check(files)).toEqual({ verdict: { ok: true }, seen: ['a.yaml', 'b.yaml'] });
    expect(await check(files)).toEqual({ verdict: { ok: true }, seen: [] });
    // The same bytes under another name passed: the name is not what promtool judged.
    expect((await check({ 'c.yaml': rule('job:a:rate5m') })).seen).toEqual([]);

    const edited = { ...files, 'b.yaml': rule('job:b2:rate5m') };
    expect((await check(edited)).seen).toEqual(['b.yaml']);
    expect((await check(edited)).seen).toEqual([]);

    process.env.FAKE_PROMTOOL_VERSION = '9.9.9';
    expect((await check(edited)).seen).toEqual(['a.yaml', 'b.yaml']);
    expect((await check(edited)).seen).toEqual([]);

    expect((await check(edited, '0.0.0-other')).seen).toEqual(['a.yaml', 'b.yaml']);
  });

  it('never remembers a rejection: the file is checked, and refused, every time', async () => {
    const files = { 'good.yaml': rule('job:good:rate5m'), 'bad.yaml': rule('not a metric name') };
    for (let i = 0; i < 2; i++) {
      const { verdict, seen } = await check(files);
      expect(verdict).toMatchObject({
        ok: false,
        problem: 'promtool check rules rejected the generated rules',
      });
      expect(seen).toContain('bad.yaml');
    }
  });

  it('a promtool replaced at the same path is another checker', async () => {
    const identity = checkerIdentity(process.env);
    writeFileSync(join(dir, 'promtool'), `${readFileSync(join(dir, 'promtool'), 'utf8')}\n`, { mode: 0o755 });
    expect(checkerIdentity(process.env)).not.toEqual(identity);
  });
});
