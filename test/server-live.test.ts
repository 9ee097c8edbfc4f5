import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateSlos } from '../src/evaluator/evaluate.ts';
import { historyGrid, periodStepMs } from '../src/evaluator/history.ts';
import { type EvaluatorReport, unevaluatedReportSchema } from '../src/evaluator/report.ts';
import { parseDuration } from '../src/policy/duration.ts';
import { errorBodySchema } from '../src/server/errors.ts';
import { exportSite } from '../src/server/export.ts';
import { chartQuery, chartRequest, evaluationBanner } from '../src/server/live.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { testApp } from './support/app.ts';

/** The live parts of the pages where no Prometheus answers: what they say instead, and the pure pieces. */

const { slos } = loadSpecs(['slos']);
const tenants = slos.find((s) => s.groupBy.length > 0);
const PROMETHEUS = 'http://prometheus.test:9090';

function report(state: EvaluatorReport['state'], error: string | null = null): EvaluatorReport {
  return {
    state,
    prometheusUrl: PROMETHEUS,
    intervalMs: 30_000,
    evaluatedAt: null,
    durationMs: null,
    queries: null,
    lastSuccessAt: null,
    error: error === null ? null : { at: '2026-01-01T00:00:00.000Z', message: error },
    alertmanager: null,
    slos: evaluateSlos(slos, []),
  };
}

let app: FastifyInstance;

beforeAll(async () => {
  app = await testApp({
    slos,
  });
});

afterAll(async () => {
  await app?.close();
});

describe('live pages without a Prometheus answer', () => {
  it('without Prometheus: the pages stay as they were and the history endpoint says why', async () => {
    const page = await app.inject('/slos/checkout/availability');
    expect(page.body).not.toContain('id="now"');
    expect(page.body).not.toContain('<script src=');
    expect(page.body).not.toContain("'self' 'sha256");
    const api = await app.inject('/api/v1/slos/checkout/availability/history');
    expect(api.statusCode).toBe(503);
    expect(errorBodySchema.parse(api.json())).toEqual({
      error: 'No Prometheus configured: start serve with --prometheus-url.',
      problems: [],
    });
    const report = unevaluatedReportSchema.parse((await app.inject('/api/v1/slos')).json());
    expect(report.error.message).toBe('No Prometheus configured: start serve with --prometheus-url.');
    expect(report.slos.map((s) => [s.slo, s.budgetRemaining])).toEqual(slos.map((s) => [s.name, null]));
  });

  it('before the first evaluation: / and the SLO page say it is running, and list every SLO', async () => {
    const starting = await testApp({ slos, evaluation: { latest: () => report('starting') } });
    try {
      const index = await starting.inject('/');
      expect(index.body).toContain('<strong>First evaluation running</strong>');
      expect(index.body.match(/<tr data-slo=/g)).toHaveLength(slos.length);
      const page = await starting.inject('/slos/checkout/availability');
      expect(page.body).toContain('<strong>First evaluation running</strong>');
      // Without a history provider the page still offers the charts; the endpoint says why there are none.
      expect((await starting.inject('/api/v1/slos/checkout/availability/history')).statusCode).toBe(503);
    } finally {
      await starting.close();
    }
  });

  it('the static export has no live numbers and no chart script', async () => {
    const files = await exportSite({ slos, runbooksDir: 'runbooks', prometheusUrl: PROMETHEUS });
    const html = files.get('slos/checkout/availability.html') ?? '';
    expect(html).toContain('<h1>checkout/availability</h1>');
    expect(html).not.toContain('id="history"');
    expect(html).not.toContain('<script src=');
  });
});

describe('pure pieces', () => {
  it('banners: failed names the error and the last success; partial the failed queries; ok none', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const failed = {
      ...report('failed', 'Prometheus at x did not answer'),
      lastSuccessAt: '2026-01-01T00:05:00.000Z',
    };
    expect(evaluationBanner(failed, now)).toEqual({
      kind: 'failed',
      title: 'Prometheus is not answering',
      detail: 'Prometheus at x did not answer',
      since: 'Last successful evaluation: 2026-01-01T00:05:00Z (5 min ago). No numbers are known yet.',
    });
    expect(evaluationBanner(report('partial', 'bad_data'), now)?.detail).toBe(
      'Prometheus answered, but some queries failed: bad_data',
    );
    expect(evaluationBanner(report('ok'), now)).toBeNull();
  });

  it('chart requests: a range from a fixed list, a group only when every groupBy label is given', () => {
    if (!tenants) throw new Error('slos/ has no groupBy SLO');
    expect(chartRequest(tenants, {})).toEqual({ range: '24h' });
    expect(chartRequest(tenants, { range: '7d', 'group.tenant': 'a&b' })).toEqual({
      range: '7d',
      group: { tenant: 'a&b' },
    });
    expect(chartRequest(tenants, { range: '1y', 'group.tenant': ['a', 'b'] })).toEqual({ range: '24h' });
    expect(chartQuery({ range: '6h', group: { tenant: 'a&b' } })).toBe('range=6h&group.tenant=a%26b');
  });

  it('the budget line is sampled sparsely, on the grid, ending at its last point', () => {
    const day = historyGrid('24h', Date.parse('2026-01-01T12:34:56Z'));
    expect(day.end).toBe(Date.parse('2026-01-01T12:30:00Z'));
    expect(day.points).toBe(289);
    expect(periodStepMs(day, parseDuration('30d') as number)).toBe(3_600_000);
    // 28d / 720 is 56 minutes: rounded down to what divides 6 hours of 1-minute steps.
    expect(periodStepMs(historyGrid('6h', 0), parseDuration('28d') as number)).toBe(45 * 60_000);
    expect(periodStepMs(historyGrid('7d', 0), parseDuration('1d') as number)).toBe(30 * 60_000);
  });
});
