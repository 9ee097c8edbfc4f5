import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecs } from '../../src/spec/load.ts';
import type { Slo } from '../../src/spec/model.ts';
import { ruleFiles } from './outputs.ts';
import { counter, firings, range } from './promtool-scenario.ts';

/**
 * Proof that an imported SLO alerts when its source tool says it should: for one fixture per tool
 * (test/fixtures/import/, written after each tool's public examples), the rules burnbook generates from the
 * foreign file run in promtool on the same synthetic traffic, and each tier fires when the tool's own
 * documented windows and factors say, plus its `for`:
 *
 * - Sloth (internal/alert/windows/google-30d.yaml, alert.go getBurnRateFactor): page quick 2% over 1h/5m,
 *   page slow 5% over 6h/30m, ticket quick 10% over 1d/2h, ticket slow 10% over 3d/6h; factor = share ×
 *   period ÷ long window. Sloth has no `for`: burnbook's is added (2m, 15m, 1h, 1h).
 * - Pyrra (slo/rules.go Windows): factors 14, 7, 2, 1 over windows that are 1/672, 1/112, 1/28 and 1/7 of
 *   the SLO window (short 1/8064, 1/1344, 1/336, 1/112), `for` 1/20160, 1/2688, 1/672, 1/224 of it.
 * - OpenSLO (AlertCondition): burn rate above `threshold` over `lookbackWindow` for `alertAfter`.
 *
 * With error ratio r from minute T0 on steady traffic, a window of W minutes crosses factor × budget after
 * factor × budget × W ÷ r minutes; a tier fires once both its windows have, plus its `for`. burnbook's long
 * windows are a centred mean of 5m recordings plus the 5m rate now (README "Long windows, new rules and young
 * SLOs"): no lag, but up to 37.5 s early. Multi-day windows are evaluated every 3 minutes here (promtool reads
 * every sample of the period window at each evaluation), so each first firing must fall within one such
 * evaluation, TOLERANCE minutes, of the documented time.
 */

const TOLERANCE = 3;
const RATE = 1000; // requests per minute

interface Documented {
  tier: string;
  factor: number;
  longMin: number;
  shortMin: number;
  forMin: number;
}

const SLOTH_30D: Documented[] = [
  { tier: 'page-quick', factor: (0.02 * 30 * 1440) / 60, longMin: 60, shortMin: 5, forMin: 2 },
  { tier: 'page-slow', factor: (0.05 * 30 * 1440) / 360, longMin: 360, shortMin: 30, forMin: 15 },
  { tier: 'ticket-quick', factor: (0.1 * 30 * 1440) / 1440, longMin: 1440, shortMin: 120, forMin: 60 },
  { tier: 'ticket-slow', factor: (0.1 * 30 * 1440) / 4320, longMin: 4320, shortMin: 360, forMin: 60 },
];

function pyrraWindows(periodMin: number): Documented[] {
  const m = (divisor: number) => Math.round(periodMin / divisor);
  return [
    { tier: 'fast', factor: 14, longMin: m(672), shortMin: m(8064), forMin: m(20160) },
    { tier: 'medium', factor: 7, longMin: m(112), shortMin: m(1344), forMin: m(2688) },
    { tier: 'slow', factor: 2, longMin: m(28), shortMin: m(336), forMin: m(672) },
    { tier: 'long-term', factor: 1, longMin: m(7), shortMin: m(112), forMin: m(224) },
  ];
}

const OPENSLO_CONDITION: Documented[] = [
  // threshold 14.4 over lookbackWindow 1h, alertAfter 2m; burnbook's short window is a twelfth of it.
  { tier: 'inventory-fast-burn', factor: 14.4, longMin: 60, shortMin: 5, forMin: 2 },
];

interface Case {
  tool: string;
  file: string;
  objective: number;
  documented: Documented[];
  /** The raw counters: good and bad requests. */
  good: string;
  bad: string;
}

export const CASES: Case[] = [
  {
    tool: 'Sloth',
    file: 'test/fixtures/import/sloth/orders.yaml',
    objective: 99.9,
    documented: SLOTH_30D,
    good: 'orders_http_requests_total{job="orders",code="200"}',
    bad: 'orders_http_requests_total{job="orders",code="500"}',
  },
  {
    tool: 'Pyrra',
    file: 'test/fixtures/import/pyrra/checkout-errors.yaml',
    objective: 99.5,
    documented: pyrraWindows(28 * 1440),
    good: 'checkout_requests_total{job="checkout",namespace="shop",code="200",route="/pay"}',
    bad: 'checkout_requests_total{job="checkout",namespace="shop",code="500",route="/pay"}',
  },
  {
    tool: 'OpenSLO',
    file: 'test/fixtures/import/openslo/catalog.yaml',
    objective: 99.9,
    documented: OPENSLO_CONDITION,
    good: 'inventory_requests_total{code="200"}',
    bad: 'inventory_requests_total{code="500"}',
  },
];

/** Minutes after T0 at which a tier fires for an error ratio held from T0 on, by the documented math. */
function documentedFiring(d: Documented, objective: number, errorRatio: number): number | undefined {
  const threshold = d.factor * (1 - objective / 100);
  if (errorRatio <= threshold) return undefined;
  return (threshold / errorRatio) * Math.max(d.longMin, d.shortMin) + d.forMin;
}

function ruleFileOf(c: Case): { file: string; slo: Slo } {
  const { slos, errors } = loadSpecs([c.file]);
  expect(errors).toEqual([]);
  const slo = slos[0] as Slo;
  const dir = mkdtempSync(join(tmpdir(), 'burnbook-faithful-'));
  const [rules] = ruleFiles([slo]);
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, rules?.content ?? '');
  return { file, slo };
}

/** The first minute each tier fires at, among `minutes`, from promtool evaluating every `everyMin` minutes. */
function firstFirings(
  c: Case,
  series: Array<{ series: string; values: string }>,
  minutes: number[],
  everyMin = 1,
) {
  const { file, slo } = ruleFileOf(c);
  const alertnames = [
    ...new Set(
      slo.alerting.tiers.map((t) => slo.alerting.alertname ?? `${slo.alerting.name}-${t.name}-burn`),
    ),
  ];
  const first = new Map<string, number>();
  const checked = minutes.filter((m) => m % everyMin === 0);
  for (const f of firings({
    ruleFile: file,
    series,
    alertnames,
    minutes: checked,
    evaluationInterval: `${everyMin}m`,
  })) {
    for (const labels of f.alerts) {
      const tier = /slo_tier="([^"]+)"/.exec(labels)?.[1] as string;
      if (!first.has(tier) || (first.get(tier) as number) > f.minute) first.set(tier, f.minute);
    }
  }
  return first;
}

/** Healthy traffic long enough to fill the longest window, then `after` minutes of the given ratio. */
function steady(c: Case, healthyMin: number, ratio: number, afterMin: number) {
  return [
    {
      series: c.good,
      values: counter([
        [healthyMin, RATE],
        [afterMin, RATE * (1 - ratio)],
      ]),
    },
    {
      series: c.bad,
      values: counter([
        [healthyMin, 0],
        [afterMin, RATE * ratio],
      ]),
    },
  ];
}

function longest(c: Case): number {
  return Math.max(...c.documented.map((d) => d.longMin));
}

/** The promtool proofs for one tool's fixture (one test file per tool, so they run in parallel). */
export function faithfulness(c: Case): void {
  describe(`${c.tool}: the imported SLO fires when ${c.tool} says it should`, () => {
    // Healthy history fills the longest window, so every window reads as the documented math assumes.
    const H = longest(c);
    const every = H > 1440 ? 3 : 1;

    it.each([
      ['a total outage', 1],
      ['2% errors', 0.02],
      ['0.9x the budget for three days', 0.9 * (1 - c.objective / 100)],
    ])(
      '%s',
      (name, ratio) => {
        const threeDays = name.startsWith('0.9x');
        const expected = new Map(
          c.documented.flatMap((d) => {
            const at = documentedFiring(d, c.objective, ratio);
            return at === undefined ? [] : [[d.tier, at] as const];
          }),
        );
        const after = threeDays ? 3 * 1440 : Math.ceil(Math.max(10, ...expected.values()) + 2 * TOLERANCE);
        // Three days of a burn nothing may alert on: checked every half hour, evaluated every 5 minutes.
        const minutes = threeDays ? range(H, H + after - 1, 30) : range(H - 6, H + after - 1);
        const fired = firstFirings(c, steady(c, H, ratio, after), minutes, threeDays ? 5 : every);
        const got = new Map([...fired].map(([tier, minute]) => [tier, minute - H]));
        expect(
          [...got.keys()].sort(),
          `tiers that fired; documented: ${JSON.stringify([...expected])}`,
        ).toEqual([...expected.keys()].sort());
        for (const [tier, at] of expected) {
          expect(
            Math.abs((got.get(tier) as number) - at),
            `${tier}: fired at ${got.get(tier)}, documented ${at.toFixed(1)}`,
          ).toBeLessThanOrEqual(TOLERANCE);
        }
      },
      300_000,
    );

    it('a one-minute spike: fires where both raw windows hold it past `for`, as the source tool reads them', () => {
      const series = [
        {
          series: c.good,
          values: counter([
            [H, RATE],
            [1, 0],
            [60, RATE],
          ]),
        },
        {
          series: c.bad,
          values: counter([
            [H, 0],
            [1, RATE],
            [60, 0],
          ]),
        },
      ];
      const fired = firstFirings(c, series, range(H - 6, H + 59), every);
      // One minute of errors is 1/W of a W-minute window. The source tool reads each window raw, so both
      // hold the minute from its end until the short window lets it go: the tier fires where both ratios
      // cross factor × budget and the short window outlasts `for` (a minute's margin for evaluation).
      // burnbook's long windows add the raw tail they have not yet recorded (README "Detection time"), so
      // it must page on exactly these.
      const budget = 1 - c.objective / 100;
      const expected = c.documented
        .filter((d) => 1 / d.longMin > d.factor * budget && 1 / d.shortMin > d.factor * budget)
        .filter((d) => d.shortMin > d.forMin + 1)
        .map((d) => d.tier);
      expect([...fired.keys()].sort()).toEqual(expected.sort());
    }, 300_000);

    it('zero traffic and a counter reset raise nothing', () => {
      // Nothing may fire, so an hour and a half of history is enough.
      const h = 90;
      const quiet = [
        {
          series: c.good,
          values: `${counter([[h, RATE]])} ${counter([[120, 0]]).replace(/^0/, String(h * RATE - RATE))}`,
        },
        { series: c.bad, values: counter([[h + 120, 0]]) },
      ];
      expect([...firstFirings(c, quiet, range(h, h + 119))]).toEqual([]);
      const reset = [
        { series: c.good, values: `${counter([[h, RATE]])} ${counter([[120, RATE]])}` },
        { series: c.bad, values: `${counter([[h, 1]])} ${counter([[120, 1]])}` },
      ];
      expect([...firstFirings(c, reset, range(h, h + 119))]).toEqual([]);
    }, 300_000);
  });
}
