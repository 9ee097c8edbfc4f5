import randexp from 'randexp';
import { type LabelMatcher, matcherMatches as matches } from './parse.ts';

/**
 * Label values that satisfy (or violate) selector matchers, so generated promtool tests can
 * feed series that a spec's own selectors pick up. Prometheus anchors regexes fully.
 */

// randexp's types describe an ES default export, but its CommonJS module.exports is the class.
const RandExp = randexp as unknown as typeof randexp.default;

// Values seen on real series, tried before random ones so tests read naturally.
const COMMON = ['200', '500', 'ok', 'error', 'GET', 'api', 'burnbook', 'a', '0'];

const PICKS = [
  (lo: number) => lo,
  (_: number, hi: number) => hi,
  (lo: number, hi: number) => Math.floor((lo + hi) / 2),
];

function candidates(constraints: LabelMatcher[]): string[] {
  const out: string[] = [];
  for (const m of constraints) {
    if (m.op === '=') out.push(m.value);
    if (m.op === '=~') {
      // Deterministic picks (lowest, highest, middle) so generated files are stable across runs.
      for (const pick of PICKS) {
        const gen = new RandExp(m.value);
        gen.max = 3;
        gen.defaultRange.subtract(0, 47);
        gen.defaultRange.subtract(58, 0x10ffff);
        gen.randInt = pick;
        out.push(gen.gen());
      }
    }
  }
  return [...out, ...COMMON];
}

function solve(constraints: LabelMatcher[], avoid?: LabelMatcher): string | undefined {
  return candidates(constraints).find(
    (v) => constraints.every((m) => matches(m, v)) && (!avoid || !matches(avoid, v)),
  );
}

/** Equality matchers for one series every matcher selects, or undefined when none was found. */
export function labelsMatching(matchers: readonly LabelMatcher[]): LabelMatcher[] | undefined {
  const out: LabelMatcher[] = [];
  for (const name of new Set(matchers.map((m) => m.name))) {
    const constraints = matchers.filter((m) => m.name === name);
    const value = solve(constraints);
    if (value === undefined) return undefined;
    if (value !== '') out.push({ name, op: '=', value });
  }
  return out;
}

/** A series `wanted` selects and `unwanted` does not: one unwanted matcher is made to fail. */
export function labelsMissing(
  wanted: readonly LabelMatcher[],
  unwanted: readonly LabelMatcher[],
): LabelMatcher[] | undefined {
  for (const miss of unwanted) {
    const others = wanted.filter((m) => m.name !== miss.name);
    const base = labelsMatching(others);
    const value = solve(
      wanted.filter((m) => m.name === miss.name),
      miss,
    );
    if (base && value !== undefined)
      return [...base, ...(value ? [{ name: miss.name, op: '=' as const, value }] : [])];
  }
  return undefined;
}
