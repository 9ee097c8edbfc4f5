import { describe, expect, it } from 'vitest';
import { alertName, sloAlerts } from '../src/conventions/names.ts';
import { counter, firings, range, slosFrom, writeRules } from './support/promtool-scenario.ts';

/**
 * An SLI whose errors and total are swapped reads an error ratio of 100 at 1% errors. That is no burn but a
 * broken SLI: the generated burn tiers do not page on it (as the evaluator fires no tier of an SLO it calls
 * broken), and the absent-SLI alert, a ticket, says the SLI has no usable data.
 */
describe('an SLI with errors and total swapped', () => {
  it('pages no burn tier, and raises the absent-SLI alert after its for', () => {
    const slos = slosFrom(`apiVersion: burnbook/v1
service: shop
slos:
  - {name: orders, objective: 99.9, sli: {ratio: {errors: 'orders_total', total: 'orders_total{code="500"}'}}}
  - {name: fine, objective: 99.9, sli: {ratio: {errors: 'orders_total{code="500"}', total: 'orders_total'}}}
`);
    const { ruleFile } = writeRules(slos);
    const fired = firings({
      ruleFile: ruleFile('shop'),
      series: [
        { series: 'orders_total{code="200"}', values: counter([[180, 990]]) },
        // 1% errors: the right SLI burns at 10×, above the slow tier's 6×.
        { series: 'orders_total{code="500"}', values: counter([[180, 10]]) },
      ],
      alertnames: slos.flatMap((slo) => sloAlerts(slo).map((a) => alertName(slo, a))),
      minutes: range(30, 179, 10),
    });
    const names = (slo: string) =>
      new Set(fired.filter((f) => f.alerts.some((l) => l.includes(`slo="${slo}"`))).map((f) => f.alertname));
    expect([...names('orders')]).toEqual(['orders-sli-absent']);
    expect(names('fine').has('fine-slow-burn')).toBe(true);
    expect(names('fine').has('fine-sli-absent')).toBe(false);
  });
});
