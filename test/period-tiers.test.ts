import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { alertName } from '../src/conventions/names.ts';
import { CENTRED_OVERCOUNT_MS } from '../src/outputs/rules/recording.ts';
import { burnFactor, errorBudget, threshold } from '../src/policy/burn.ts';
import { maxDefaultThreshold } from '../src/policy/default-tiers.ts';
import { formatDuration, parseDuration } from '../src/policy/duration.ts';
import type { Tier } from '../src/policy/tiers.ts';
import type { Slo } from '../src/spec/model.ts';
import { ruleFiles } from './support/outputs.ts';
import { counter, slosFrom } from './support/promtool-scenario.ts';
import { chooser, random } from './support/random.ts';
import { requireTool } from './support/tools.ts';

/**
 * The default tiers for periods from a day to a quarter and objectives from 90% to 99.99%, run in real
 * promtool: no tier fires on a burn below 1 (the `period-7d` case: a 7-day very-slow tier fired at burn
 * 0.233), every tier fires at every objective (90% refused them, or would have asked for an error ratio of
 * 1.44), and a total outage fires each tier within the SRE Workbook's detection time for that period
 * (budget share × period × error budget) plus `for`, plus at most one evaluation, and not before.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const PERIODS = ['1d', '7d', '14d', '28d', '30d', '90d'];
const OBJECTIVES = [90, 95, 99, 99.5, 99.9, 99.99];
// In promtool: the stretched windows of low objectives, and the Workbook's own of high ones.
const PROMTOOL_OBJECTIVES = [90, 95, 99, 99.9, 99.99];
const PER_MINUTE = 1000;

function sloFor(period: string, objective: number): Slo {
  const [slo] = slosFrom(`
apiVersion: burnbook/v1
service: table
slos:
  - name: p${period}-o${String(objective).replace('.', '_')}
    objective: ${objective}
    period: ${period}
    sli: {ratio: {errors: 'requests_total{code="500"}', total: requests_total}}
`);
  if (!slo) throw new Error('no SLO');
  return slo;
}

/** The Workbook's time to detect an error ratio: the tier's budget share × period × error budget ÷ ratio. */
function workbookDetectMs(slo: Slo, tier: Tier, errorRatio: number): number {
  return ((tier.budgetPercent / 100) * slo.periodMs * errorBudget(slo.objective)) / errorRatio;
}

interface Case {
  name: string;
  minutes: number;
  /** Per minute: [good, bad] events from the given minute on. */
  phases: Array<[from: number, good: number, bad: number]>;
  checks: Array<{ minute: number; expr: string; fired: boolean }>;
}

function series(c: Case) {
  const spans = c.phases.map(([from, good, bad], i) => {
    const until = c.phases[i + 1]?.[0] ?? c.minutes;
    return { minutes: until - from, good, bad };
  });
  return [
    { series: 'requests_total{code="200"}', values: counter(spans.map((s) => [s.minutes, s.good])) },
    { series: 'requests_total{code="500"}', values: counter(spans.map((s) => [s.minutes, s.bad])) },
  ];
}

/** promtool's test file for these cases, evaluating every `evalMinutes`. */
function testFile(ruleFile: string, evalMinutes: number, cases: Case[]) {
  return {
    rule_files: [ruleFile],
    evaluation_interval: `${evalMinutes}m`,
    tests: cases.map((c) => ({
      name: c.name,
      interval: '1m',
      input_series: series(c),
      promql_expr_test: c.checks.map((check) => ({
        expr: check.expr,
        eval_time: formatDuration(check.minute * MINUTE),
        exp_samples: check.fired ? [{ labels: '{}', value: 1 }] : [],
      })),
    })),
  };
}

const firing = (slo: Slo, tier: Tier) =>
  `count(ALERTS{alertname="${alertName(slo, tier)}", alertstate="firing"})`;

/**
 * Per tier: healthy traffic for one long window, then every event failing. The alert must not fire one
 * evaluation before the Workbook's time plus `for` (each rounded up to an evaluation; the time less the
 * 37.5 s a young burn can be over-counted, see recording.ts), and must fire one evaluation after it.
 */
function outages(slo: Slo, tiers: readonly Tier[], evalMinutes: number): Case[] {
  // The evaluation at or after a minute: evaluations fall on multiples of the interval.
  const up = (minute: number) => Math.ceil(minute / evalMinutes) * evalMinutes;
  return tiers.map((tier): Case => {
    const from = tier.longMs / MINUTE;
    // A phase's first counter step is the minute before it: that is when the first events fail.
    const onset = from - 1;
    // Pending from the first evaluation past the Workbook's time, firing from the first one `for` later; a
    // window may count up to CENTRED_OVERCOUNT_MS of a young burn twice, so firing from that much earlier.
    const firesAfter = (detectMs: number) => up(up(onset + detectMs / MINUTE) + tier.forMs / MINUTE);
    const fires = firesAfter(workbookDetectMs(slo, tier, 1));
    const earliest = firesAfter(workbookDetectMs(slo, tier, 1) - CENTRED_OVERCOUNT_MS);
    return {
      name: `${alertName(slo, tier)}: a total outage`,
      minutes: fires + 2 * evalMinutes,
      phases: [
        [0, PER_MINUTE, 0],
        [from, 0, PER_MINUTE],
      ],
      checks: [
        { minute: earliest - evalMinutes, expr: firing(slo, tier), fired: false },
        { minute: fires + evalMinutes, expr: firing(slo, tier), fired: true },
      ],
    };
  });
}

/**
 * A burn of 0.95 from the first minute: no tier pends or fires, ever. The SLI is as young as the rules, so
 * every window reads 0.95 × the budget from its first evaluation; a quarter of an hour past the longest
 * `for` each tier has had its chance.
 */
function belowOne(slo: Slo): Case {
  const budget = errorBudget(slo.objective);
  const last = Math.max(...slo.alerting.tiers.map((t) => t.forMs / MINUTE)) + 15;
  return {
    name: `${slo.name}: a burn of 0.95, sustained`,
    // Series past every check: after their end the absent-SLI alert would rightly fire.
    minutes: Math.max(last, 30) + 1,
    phases: [[0, PER_MINUTE * (1 - 0.95 * budget), PER_MINUTE * 0.95 * budget]],
    checks: [5, 30, last / 2, last].map((minute) => ({
      minute: Math.round(minute),
      expr: `count(ALERTS{slo="${slo.name}"})`,
      fired: false,
    })),
  };
}

const run = promisify(execFile);

/**
 * The outages in one promtool run per evaluation interval: tiers whose long window is under 3 hours every
 * minute, under 2 days every 10m, the rest every 30m (promtool evaluates every rule at every step, and loads
 * at most 10,000 samples per query: a 9-day window at 1m holds 13,000); the burn below 1 every minute.
 * burn-detection.test.ts times each tier of a 30-day SLO to the minute.
 */
async function promtoolTable(slo: Slo): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'burnbook-table-'));
  for (const f of ruleFiles([slo])) writeFileSync(join(dir, f.path), f.content);
  const every = (tier: Tier) => (tier.longMs < 3 * HOUR ? 1 : tier.longMs < 48 * HOUR ? 10 : 30);
  const runs = new Map<number, Case[]>([[1, [belowOne(slo)]]]);
  for (const tier of slo.alerting.tiers) {
    runs.set(every(tier), [...(runs.get(every(tier)) ?? []), ...outages(slo, [tier], every(tier))]);
  }
  const failures: string[] = [];
  try {
    for (const [minutes, cases] of runs) {
      const file = join(dir, `every-${minutes}m.test.yaml`);
      writeFileSync(file, stringify(testFile('table.yaml', minutes, cases), { lineWidth: 0 }));
      try {
        await run(requireTool('promtool'), ['test', 'rules', file], { cwd: dir, timeout: 300_000 });
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: string; stderr?: string };
        failures.push(`${slo.name} (every ${minutes}m): ${stdout ?? ''}${stderr ?? String(error)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return failures;
}

describe('default tiers adapt to the period and the objective', () => {
  const table = PERIODS.flatMap((period) => OBJECTIVES.map((objective) => sloFor(period, objective)));

  it('the math: burn factor at least 1, a threshold within reach, the Workbook budget shares', () => {
    for (const slo of table) {
      expect(slo.alerting.tiers.map((t) => t.name)).toEqual(['fast', 'slow', 'very-slow']);
      for (const tier of slo.alerting.tiers) {
        const at = `${slo.name} ${tier.name}`;
        expect(burnFactor(tier, slo.periodMs), at).toBeGreaterThanOrEqual(1);
        expect(threshold(tier, slo.periodMs, slo.objective), at).toBeLessThanOrEqual(
          maxDefaultThreshold(slo.objective),
        );
        expect(tier.shortMs, at).toBeLessThan(tier.longMs);
        expect(tier.longMs % (5 * MINUTE), at).toBe(0);
        // The Workbook's budget shares, so a total outage is detected in the Workbook's time.
        expect(tier.budgetPercent, at).toBe({ fast: 2, slow: 5, 'very-slow': 10 }[tier.name]);
      }
      const longs = slo.alerting.tiers.map((t) => t.longMs);
      expect(longs, slo.name).toEqual([...longs].sort((a, b) => a - b));
      expect(new Set(longs).size, slo.name).toBe(longs.length);
    }
  });

  it('holds for any period from a day to a quarter and any objective from 50% to 99.999% (seeded)', () => {
    const { int, pick } = chooser(random(14));
    for (let i = 0; i < 500; i++) {
      const period = `${1 + int(90)}d${pick(['', `${int(24)}h`])}`;
      const objective = pick([50, 75, 80, 90, 93.5, 97, 99, 99.5, 99.9, 99.95, 99.99, 99.999]);
      const slo = sloFor(period, objective);
      for (const tier of slo.alerting.tiers) {
        const at = `${period} ${objective}% ${tier.name}`;
        expect(burnFactor(tier, slo.periodMs), at).toBeGreaterThanOrEqual(1);
        expect(threshold(tier, slo.periodMs, slo.objective), at).toBeLessThan(1);
        expect(tier.longMs, at).toBeLessThanOrEqual(parseDuration(period) as number);
      }
    }
  });

  it.each(PERIODS)(
    '%s, every objective, in promtool: quiet below burn 1, a total outage fires each tier on time',
    async (period) => {
      const slos = PROMTOOL_OBJECTIVES.map((objective) => sloFor(period, objective));
      const failures: string[] = [];
      // Two promtool runs at a time: the machine has two cores.
      for (let i = 0; i < slos.length; i += 2) {
        const runs = await Promise.all(slos.slice(i, i + 2).map(promtoolTable));
        failures.push(...runs.flat());
      }
      expect(failures).toEqual([]);
    },
    600_000,
  );
});
