import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Evaluator } from '../../src/evaluator/evaluator.ts';
import { createEvaluatorMetrics } from '../../src/evaluator/metrics.ts';
import { createPrometheusClient } from '../../src/prometheus/client.ts';
import { historyToOpenMetrics, MINUTE } from '../support/history.ts';
import {
  type Burn,
  expectNoNewPage,
  expectOnePage,
  type Fired,
  type Firings,
  HEALTHY,
  lastMinute,
  outageHistory,
  outageSlos,
  promtoolFirings,
  recoveredAt,
  seededBurns,
} from '../support/outages.ts';
import { alertOptions } from '../support/outputs.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { range } from '../support/promtool-scenario.ts';

/**
 * burnbook's own evaluator (an evaluator-only setup: no rules in Prometheus, so it reads the raw SLI) holds
 * and settles the tiers as the generated rules do. The outages of test/incident-tiers.test.ts, and many
 * seeded ones, run twice: through promtool on the generated rules, and through the evaluator replaying a
 * real Prometheus's backfilled history one minute after another. Both must fire the same tiers in the same
 * minutes, give or take one evaluation. (A slow burn's ticket may go on firing for hours after the recovery,
 * its 6h short window still reading the burn; it fired before the recovery, so it is no new notification.)
 */

const NAMED: Array<[string, Burn]> = [
  ['a 16-minute total outage', { phases: [[16, 1]] }],
  [
    'the 16-minute outage, one alert name for every tier',
    { phases: [[16, 1]], alertname: 'ErrorBudgetBurn' },
  ],
  ['a 12× burn for 4 hours, one alert name', { phases: [[240, 0.012]], alertname: 'ErrorBudgetBurn' }],
  [
    'a burn easing from 20× to 7×',
    {
      phases: [
        [60, 0.02],
        [120, 0.007],
      ],
    },
  ],
];
const SEEDED = seededBurns(1616, 16);
const BURNS = [...NAMED.map(([, burn]) => burn), ...SEEDED];

let prometheus: RunningPrometheus;
let fromRules: Firings;
let fromEvaluator: Firings;

/**
 * The evaluator's firing tiers, minute by minute, replaying the history from just before the burns. A few
 * SLOs per evaluator: the raw queries of an evaluator-only setup grow faster than the SLOs they ask about
 * (the 30d window's data-age probes), and the replay asks them at every minute.
 */
async function replay(start: number): Promise<Firings> {
  const slos = outageSlos(BURNS);
  const client = createPrometheusClient({ url: prometheus.url, timeoutMs: 30_000 });
  const fired: Array<Fired & { slo: string }> = [];
  for (let first = 0; first < slos.length; first += 4) {
    const some = slos.slice(first, first + 4);
    const evaluator = new Evaluator({
      slos: some,
      prometheus: client,
      intervalMs: MINUTE,
      alertOptions: alertOptions(),
      metrics: createEvaluatorMetrics(new Registry(), some),
    });
    for (const minute of range(HEALTHY - 5, lastMinute(BURNS))) {
      await evaluator.evaluateOnce(new Date(start + minute * MINUTE));
      const report = evaluator.latest();
      expect(report.error, `minute ${minute}`).toBeNull();
      for (const status of report.slos)
        for (const tier of status.tiers)
          if (tier.state === 'firing') fired.push({ slo: status.slo, minute, tier: tier.tier });
    }
  }
  return (i) => fired.filter((f) => f.slo === `s${i}`).map(({ minute, tier }) => ({ minute, tier }));
}

beforeAll(async () => {
  const start = Math.floor(Date.now() / MINUTE) * MINUTE - (lastMinute(BURNS) + 1) * MINUTE;
  fromRules = promtoolFirings(BURNS);
  prometheus = await startPrometheus({
    backfillOpenMetrics: historyToOpenMetrics(outageHistory(BURNS, start)),
  });
  fromEvaluator = await replay(start);
}, 600_000);

afterAll(async () => {
  await prometheus?.stop();
});

/** `tier@minute` for every firing minute in `a` that `b` has not within one evaluation. */
function unmatched(a: Fired[], b: Fired[]): string[] {
  return a
    .filter((f) => !b.some((g) => g.tier === f.tier && Math.abs(g.minute - f.minute) <= 1))
    .map((f) => `${f.tier}@${f.minute}`);
}

function expectSameFirings(i: number, what: string) {
  const rules = fromRules(i);
  const evaluator = fromEvaluator(i);
  expect(unmatched(rules, evaluator), `${what}: fired by the rules, not by the evaluator`).toEqual([]);
  expect(unmatched(evaluator, rules), `${what}: fired by the evaluator, not by the rules`).toEqual([]);
}

describe('the evaluator holds and settles tiers as the generated rules do (real Prometheus, promtool)', () => {
  it.each(NAMED.map(([what], i) => [what, i] as const))(
    '%s: the same tiers fire in the same minutes',
    (what, i) => {
      expect(fromRules(i).length, `${what}: something fires`).toBeGreaterThan(0);
      expectSameFirings(i, what);
    },
  );

  it('a 16-minute total outage pages once in the evaluator: after the recovery only the page winds down', () => {
    const [, burn] = NAMED[0] as [string, Burn];
    const fired = fromEvaluator(0);
    expect(fired.some((f) => f.tier === 'fast' && f.minute < recoveredAt(burn))).toBe(true);
    expectOnePage(fired, recoveredAt(burn), 'the evaluator, 16-minute outage');
  });

  it('seeded outages of any length and burn: both agree, and once the burn ends nothing new fires', () => {
    let paged = 0;
    SEEDED.forEach((burn, s) => {
      const i = NAMED.length + s;
      const what = `burn ${i}: ${JSON.stringify(burn.phases)}`;
      expectSameFirings(i, what);
      const fired = fromEvaluator(i);
      // A burn too small to fire anything before it ended may still raise a ticket later: not a second page.
      if (!fired.some((f) => f.minute < recoveredAt(burn))) return;
      paged++;
      expectNoNewPage(fired, recoveredAt(burn), `the evaluator, ${what}`);
    });
    expect(paged).toBeGreaterThanOrEqual(8);
  });
});
