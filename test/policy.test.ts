import { describe, expect, it } from 'vitest';
import {
  absentForMs,
  budgetTimeMs,
  burnFactor,
  errorBudget,
  impossibleErrorRatio,
  threshold,
  timeToDetectMs,
  timeToExhaustionMs,
} from '../src/policy/burn.ts';
import { formatDuration, parseDuration } from '../src/policy/duration.ts';
import { formatNumber } from '../src/policy/number.ts';
import { DEFAULT_TIERS, type Tier } from '../src/policy/tiers.ts';

const DAY = 86_400_000;
const tiers: Tier[] = DEFAULT_TIERS.map((t) => ({
  name: t.name,
  severity: t.severity,
  budgetPercent: t.budgetPercent,
  longMs: parseDuration(t.long) as number,
  shortMs: parseDuration(t.short) as number,
  forMs: parseDuration(t.for) as number,
}));
const [fast, slow, verySlow] = tiers as [Tier, Tier, Tier];

describe('burn factor = budget share × period ÷ long window', () => {
  it.each([
    [fast, 30, 14.4],
    [slow, 30, 6],
    [verySlow, 30, 1],
    [fast, 28, 13.44],
    [slow, 28, 5.6],
    [verySlow, 28, 0.933333333333],
  ])('%s over %i days → %d', (tier, days, factor) => {
    expect(burnFactor(tier, days * DAY)).toBeCloseTo(factor, 9);
  });
});

describe('thresholds and budgets, rounded for people', () => {
  it.each([
    [99.5, 0.005],
    [99.9, 0.001],
    [99.95, 0.0005],
    [99, 0.01],
  ])('objective %d%% → budget %d', (objective, budget) => {
    expect(errorBudget(objective)).toBe(budget);
  });

  it.each([
    [fast, 99.5, '0.072'],
    [fast, 99.9, '0.0144'],
    [slow, 99.9, '0.006'],
    [verySlow, 99.9, '0.001'],
  ])('%s at %d%% fires above %s', (tier, objective, expected) => {
    expect(formatNumber(threshold(tier, 30 * DAY, objective))).toBe(expected);
  });

  it('99.5% over 30 days is 216 minutes of full outage', () => {
    expect(budgetTimeMs(30 * DAY, 99.5) / 60_000).toBeCloseTo(216, 9);
  });

  it('a 14.4x burn exhausts a 30-day budget in 50 hours', () => {
    expect(timeToExhaustionMs(30 * DAY, 14.4) / 3_600_000).toBeCloseTo(50, 9);
  });

  it.each([
    // budget × long × factor ÷ error ratio (SRE workbook): 99.9%, fast tier.
    [1, 0.864],
    [0.02, 43.2],
    [0.0144, Number.POSITIVE_INFINITY],
  ])('fast tier on 99.9%% detects an error ratio of %d in %d minutes', (ratio, minutes) => {
    expect(timeToDetectMs(fast, 30 * DAY, 99.9, ratio) / 60_000).toBeCloseTo(minutes, 9);
  });
});

describe('the absent-SLI alert and broken ratios', () => {
  it.each([
    // threshold × long window + for, in whole minutes up: 0.144 × 60 + 2 = 10.64 → 11.
    [99, 30, '11m'],
    [99.5, 30, '7m'],
    [99.9, 30, '3m'],
    [99.9, 28, '3m'],
    [95, 30, '46m'],
  ])(
    '%s%% over %sd: fires after the fast tier would page on a total outage: %s',
    (objective, days, expected) => {
      expect(formatDuration(absentForMs(fast, days * DAY, objective))).toBe(expected);
    },
  );

  it('a tier a total outage cannot trip still gets a for: its long window and its own for', () => {
    const lenient = { ...fast, budgetPercent: 100, forMs: 0 };
    expect(formatDuration(absentForMs(lenient, 30 * DAY, 99))).toBe('1h');
  });

  it('a ratio above 1 (and a little) is impossible; 1 itself is a total outage', () => {
    expect([0, 0.5, 1, 1.005].map(impossibleErrorRatio)).toEqual([false, false, false, false]);
    expect([1.02, 2, 50].map(impossibleErrorRatio)).toEqual([true, true, true]);
  });
});

describe('durations and numbers', () => {
  it.each([
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['30d', 30 * DAY],
    ['2w', 14 * DAY],
    ['0s', 0],
  ])('%s parses to %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '1.5h', '-1h', '1H'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [28 * DAY, '28d'],
    [5_400_000, '1h30m'],
    [300_000, '5m'],
  ])('%d ms formats as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [0.07200000000000001, '0.072'],
    [14.4 * 0.001, '0.0144'],
    [0.000014, '0.000014'],
    [13.44, '13.44'],
    [(0.1 * 28) / 3, '0.933333'],
  ])('%d prints as %s', (x, text) => {
    expect(formatNumber(x)).toBe(text);
  });
});
