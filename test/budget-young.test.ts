import { describe, expect, it } from 'vitest';
import { periodData } from '../src/outputs/rules/recording.ts';
import { counter, exprMismatch, slosFrom, writeRules } from './support/promtool-scenario.ts';

/**
 * Budget left on an SLO younger than its period, in real promtool (the SLI's events begin with the rules):
 * spent events ÷ the events the period's budget allows, the period's traffic taken from what has been seen.
 * On a fresh install a service failing 1.6% of requests for 20 minutes of a 30-day period read "budget left
 * −1510%" (1 − ratio ÷ budget over 20 minutes); it has spent about 0.74% of the month's budget.
 */

const { ruleFile } = writeRules(
  slosFrom(`
apiVersion: burnbook/v1
service: fresh
slos:
  - name: month
    objective: 99.9
    sli: {ratio: {errors: 'month_requests_total{code="500"}', total: month_requests_total}}
  - name: day
    objective: 99.9
    period: 1d
    sli: {ratio: {errors: 'day_requests_total{code="500"}', total: day_requests_total}}
`),
);

function expectValues(
  series: Array<{ series: string; values: string }>,
  minute: number,
  exprs: Record<string, number>,
) {
  for (const [expr, value] of Object.entries(exprs)) {
    const mismatch = exprMismatch({
      ruleFile: ruleFile('fresh'),
      series,
      expr,
      minute,
      samples: [{ labels: '{}', value }],
    });
    expect(mismatch, expr).toBeUndefined();
  }
}

describe('budget left on an SLO younger than its period (real promtool)', () => {
  it('20 minutes at 1.6% errors on 99.9%/30d: 99.3% left, based on 19 minutes of data, burning 16× meanwhile', () => {
    const series = [
      { series: 'month_requests_total{code="200"}', values: counter([[21, 1000 * 0.984]]) },
      { series: 'month_requests_total{code="500"}', values: counter([[21, 1000 * 0.016]]) },
    ];
    // The first 5m rate exists a minute in: 19 minutes of data at minute 20, so 16 × 19 ÷ 43,200 is spent.
    expectValues(series, 20, {
      'sum(round(slo:period_error_budget_remaining:ratio{slo="month"}, 0.0001))': 0.993,
      // What `status`, the SLO page and the dashboards ask for "based on N minutes of data".
      [`sum(${periodData(30 * 86_400_000, (record) => `${record}{slo="month"}`)})`]: 19 * 60,
      'sum(round(slo:period_burn_rate:ratio{slo="month"}, 0.01))': 16,
    });
  });

  it('an outage on a day-old SLO overspends it: budget left goes below 0', () => {
    // Ten healthy minutes, then three of every request failing: 3 of the 1.44 minutes a 99.9% day allows.
    const series = [
      {
        series: 'day_requests_total{code="200"}',
        values: counter([
          [11, 1000],
          [3, 0],
        ]),
      },
      {
        series: 'day_requests_total{code="500"}',
        values: counter([
          [11, 0],
          [3, 1000],
        ]),
      },
    ];
    // 3,000 bad of 13,000 seen in 13 minutes: 230 × 12 or 13 ÷ 1,440, about twice the budget spent.
    expectValues(series, 13, {
      'sum(round(slo:period_error_budget_remaining:ratio{slo="day"}, 0.1))': -1,
    });
  });
});
