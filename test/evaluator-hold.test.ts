import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AlertmanagerClient } from '../src/evaluator/alertmanager-client.ts';
import type { PostableAlert } from '../src/evaluator/alerts.ts';
import { Evaluator } from '../src/evaluator/evaluator.ts';
import { createEvaluatorMetrics } from '../src/evaluator/metrics.ts';
import { MEASURE_LABEL } from '../src/evaluator/plan.ts';
import type { PrometheusClient } from '../src/prometheus/client.ts';
import { alertOptions } from './support/outputs.ts';
import { slosFrom } from './support/promtool-scenario.ts';

/**
 * The evaluator's hold and settle, step by step, with the numbers a Prometheus answers set per window (the
 * agreement with the generated rules over whole outages is test/e2e/evaluator-incident-tiers.test.ts).
 * Default tiers at 99.9%: fast 0.0144 over 1h/5m, slow 0.006 over 6h/30m, very-slow 0.001 over 3d/6h.
 */

const slos = slosFrom(`
apiVersion: burnbook/v1
service: svc
slos:
  - {name: s, objective: 99.9, sli: {ratio: {errors: 'r_total{code="500"}', total: r_total}}}
`);
const MINUTE = 60_000;

/** A Prometheus whose rules' ratio records read `ratios[window]` (e.g. `5m`), and 0.3 for any other window. */
function prometheus(ratios: () => Record<string, number>): PrometheusClient {
  return {
    url: 'http://prometheus.test',
    query: async (expr: string) => {
      const window = /ratio_rate(\w+)\{/.exec(expr)?.[1];
      const result = window
        ? [
            {
              metric: { slo_service: 'svc', slo: 's', [MEASURE_LABEL]: 'ratio' },
              value: ratios()[window] ?? 0.3,
              timestampMs: 0,
            },
          ]
        : [];
      return { resultType: 'vector', result, warnings: [] };
    },
    rules: async () => [],
  } as unknown as PrometheusClient;
}

describe('the evaluator holds a firing tier and settles the slower ones', () => {
  it('a fast page eased to 5× stays open with the 1h ratio as its value, the slow tier settles, recovery resolves it', async () => {
    let ratios: Record<string, number> = { '5m': 0.5, '1h': 0.5 };
    const sent: PostableAlert[][] = [];
    const alertmanager = {
      url: 'http://alertmanager.test',
      postAlerts: async (alerts: PostableAlert[]) => void sent.push(alerts),
      activeAlerts: async () => [],
      silences: async () => [],
    } as AlertmanagerClient;
    const evaluator = new Evaluator({
      slos,
      prometheus: prometheus(() => ratios),
      intervalMs: MINUTE,
      alertOptions: alertOptions(),
      alertmanager,
      metrics: createEvaluatorMetrics(new Registry(), slos),
    });
    const start = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
    const states = async (minute: number) => {
      await evaluator.evaluateOnce(new Date(start + minute * MINUTE));
      await new Promise((resolve) => setImmediate(resolve));
      return evaluator.latest().slos[0]?.tiers.map((t) => `${t.tier} ${t.state}`);
    };
    const fast = () => sent.at(-1)?.find((a) => a.labels.slo_tier === 'fast');

    for (const minute of [0, 1]) await states(minute);
    expect(await states(2)).toContain('fast firing');
    // 5× now (0.005: under fast's 0.0144, over very-slow's 0.001); the 1h window still reads 0.3.
    ratios = { '5m': 0.005, '1h': 0.3 };
    expect(await states(3)).toEqual(['fast firing', 'slow inactive', 'very-slow pending']);
    expect(evaluator.latest().slos[0]?.tiers[1]?.burning).toBe(true);
    expect(fast()?.annotations.description).toMatch(/^Error ratio over 1h is 0\.3\. /);
    expect(Date.parse(fast()?.endsAt ?? '')).toBeGreaterThan(Date.now());
    // Recovered: the hold ends, and the page resolves.
    ratios = { '5m': 0, '1h': 0.3 };
    expect(await states(4)).toContain('fast resolved');
    expect(fast()?.endsAt).toBe(new Date(start + 4 * MINUTE).toISOString());
  });
});
