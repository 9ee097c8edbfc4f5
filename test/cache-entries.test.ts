import { mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CacheEntries } from '../src/cache/entries.ts';

const name = (i: number) => `spec-${i.toString(16).padStart(64, '0')}`;

function bytesUnder(dir: string): number {
  return readdirSync(dir).reduce((sum, entry) => sum + statSync(join(dir, entry)).size, 0);
}

describe('cache entries', () => {
  it('stay under their bound, the least recently used going first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-entries-'));
    const entries = new CacheEntries(dir, 100_000);
    const text = 'x'.repeat(10_000);
    for (let i = 0; i < 8; i++) entries.write(name(i), text);
    entries.bound();
    expect(readdirSync(dir)).toHaveLength(8);
    // All old, 1 the oldest; entry 0 is then read, which marks it used.
    for (let i = 0; i < 8; i++) {
      const then = new Date(Date.now() - (9 - i) * 86_400_000);
      utimesSync(join(dir, name(i)), then, then);
    }
    expect(entries.read(name(0))).toBe(text);
    for (let i = 8; i < 11; i++) entries.write(name(i), text);
    entries.bound();
    expect(bytesUnder(dir)).toBeLessThanOrEqual(100_000);
    expect(readdirSync(dir).sort()).toEqual([0, 5, 6, 7, 8, 9, 10].map(name).sort());
  });

  it('a damaged entry reads as missing and is removed; a good one reads back as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-entries-'));
    const entries = new CacheEntries(dir, 1_000_000);
    const text = '{"slos": ["ü", "\\n"]}\nsecond line';
    entries.write(name(1), text);
    expect(entries.read(name(1))).toBe(text);
    const path = join(dir, name(1));
    const whole = readFileSync(path);
    for (const damaged of [
      whole.subarray(0, whole.length - 3),
      Buffer.concat([whole, Buffer.from('x')]),
      Buffer.from(whole.toString('utf8').replace('ü', 'u')),
      Buffer.from('garbage without a header'),
      Buffer.alloc(0),
    ]) {
      writeFileSync(path, damaged);
      expect(entries.read(name(1))).toBeUndefined();
      expect(readdirSync(dir)).not.toContain(name(1));
    }
  });

  it('an unwritable directory is a cache that misses, never an error', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'burnbook-entries-')), 'a-file');
    writeFileSync(file, '');
    const entries = new CacheEntries(join(file, 'cache'), 1_000_000);
    entries.write(name(2), 'text');
    expect(entries.read(name(2))).toBeUndefined();
    entries.bound();
  });
});
