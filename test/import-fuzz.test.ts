import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecText } from '../src/spec/load.ts';
import { mutate } from './support/mutate.ts';
import { random } from './support/random.ts';

/**
 * Mutated Sloth, Pyrra and OpenSLO files thrown at the loader (what validate, generate, serve and import
 * read): every one either loads or gives errors with a line and column in the mutated file; none throws.
 */

const FIXTURES = 'test/fixtures/import';
const BASES = readdirSync(FIXTURES).flatMap((tool) =>
  readdirSync(join(FIXTURES, tool)).map((f) => readFileSync(join(FIXTURES, tool, f), 'utf8')),
);

describe('foreign formats under mutation', () => {
  it('900 mutated foreign files: no stack trace, every error located', () => {
    const next = random(18);
    let valid = 0;
    let invalid = 0;
    for (let n = 0; n < 900; n++) {
      const base = BASES[n % BASES.length] as string;
      const text = mutate(base, next);
      let result: ReturnType<typeof loadSpecText>;
      try {
        result = loadSpecText(text, `fuzz-${n}.yaml`);
      } catch (error) {
        throw new Error(`mutation ${n} threw ${(error as Error).stack}\n--- input:\n${text}`);
      }
      if (result.errors.length) invalid++;
      else valid++;
      for (const e of result.errors) {
        expect(e.line, `mutation ${n}: ${e.message}`).toBeGreaterThan(0);
        expect(e.col).toBeGreaterThan(0);
        expect(e.message.length).toBeGreaterThan(0);
      }
    }
    // Both outcomes occur: the mutations reach past the YAML parser into the translators.
    expect(valid).toBeGreaterThan(100);
    expect(invalid).toBeGreaterThan(100);
  }, 120_000);
});
