import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Evaluator } from '../src/evaluator/evaluator.ts';
import { createEvaluatorMetrics } from '../src/evaluator/metrics.ts';
import { MEASURE_LABEL } from '../src/evaluator/plan.ts';
import type { PrometheusClient } from '../src/prometheus/client.ts';
import { alertOptions } from './support/outputs.ts';
import { slosFrom } from './support/promtool-scenario.ts';
import { until } from './support/wait.ts';

/**
 * Silent tiers in the server's evaluator: an SLO with `alerting.disabled`, and one whose ticket severity is
 * disabled, burn at half their requests failing; the evaluator shows every tier burning and fires only the
 * tiers that have an alerting rule, as Prometheus would with the generated rules.
 */

const [quiet, paging] = slosFrom(`
apiVersion: burnbook/v1
service: svc
slos:
  - name: quiet
    objective: 99.9
    sli: {ratio: {errors: 'q_total{code="500"}', total: q_total}}
    alerting: {disabled: true, tiers: [{name: fast, for: 0s}, {name: very-slow, for: 0s}]}
  - name: paging
    objective: 99.9
    sli: {ratio: {errors: 'p_total{code="500"}', total: p_total}}
    alerting:
      severities: {ticket: {disabled: true}}
      tiers: [{name: fast, for: 0s}, {name: very-slow, for: 0s}]
`);

/** A Prometheus where every window of every SLO reads an error ratio of 0.5. */
function burningPrometheus(): PrometheusClient {
  const vector = () =>
    [quiet, paging].map((slo) => ({
      metric: { slo_service: 'svc', slo: slo?.name ?? '', [MEASURE_LABEL]: 'ratio' },
      value: 0.5,
      timestampMs: 0,
    }));
  return {
    url: 'http://prometheus.test',
    // The coverage probe (count by) finds no recordings: the evaluator reads the raw SLI for every window.
    query: async (expr: string) => ({
      resultType: 'vector',
      result: expr.includes('count by') ? [] : vector(),
      warnings: [],
    }),
    queryRange: async () => ({ resultType: 'matrix', result: [], warnings: [] }),
    rules: async () => [],
    alerts: async () => [],
    buildInfo: async () => ({ version: '2.42.0' }),
  } as unknown as PrometheusClient;
}

describe('silent tiers in the evaluator', () => {
  it('burn, and fire only where an alerting rule would', async () => {
    const slos = [quiet, paging].filter((s) => s !== undefined);
    const evaluator = new Evaluator({
      slos,
      prometheus: burningPrometheus(),
      intervalMs: 50,
      alertOptions: alertOptions(),
      metrics: createEvaluatorMetrics(new Registry(), slos),
    });
    evaluator.start();
    try {
      const report = await until(
        'an evaluation',
        async () => evaluator.latest(),
        (r) => r.evaluatedAt !== null,
      );
      const tiers = (name: string) =>
        report.slos.find((s) => s.slo === name)?.tiers.map((t) => [t.tier, t.burning, t.firing]);
      expect(tiers('quiet')).toEqual([
        ['fast', true, false],
        ['very-slow', true, false],
      ]);
      expect(tiers('paging')).toEqual([
        ['fast', true, true],
        ['very-slow', true, false],
      ]);
    } finally {
      await evaluator.stop();
    }
  });
});
