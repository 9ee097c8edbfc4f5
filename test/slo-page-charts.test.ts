import { describe, expect, it } from 'vitest';
import { evaluatorAlertPeriods, mergedPeriods } from '../src/evaluator/alert-periods.ts';
import { evaluateSlos } from '../src/evaluator/evaluate.ts';
import type { EvaluatorReport, TierStatus } from '../src/evaluator/report.ts';
import { serverLinks } from '../src/server/links.ts';
import { openingRequest, sloLive } from '../src/server/live.ts';
import { sloNamed, slosFrom } from './support/promtool-scenario.ts';

/**
 * The pure parts of the SLO page's charts (issue 16): the range it opens on, the periods burnbook's
 * evaluator holds, and the availability tile's words. The browser test drives them end to end.
 */

const slo = sloNamed(
  slosFrom(`
apiVersion: burnbook/v1
service: shop
slos:
  - name: availability
    objective: 99.95
    sli: {ratio: {errors: 'shop_requests_total{code="500"}', total: shop_requests_total}}
`),
  'availability',
);
const NOW = Date.parse('2026-06-01T12:00:00Z');
const MINUTE = 60_000;

describe('the range the SLO page opens on', () => {
  const opening = (minutesAgo: number | null, query: Record<string, unknown> = {}) =>
    openingRequest(slo, query, minutesAgo === null ? null : NOW - minutesAgo * MINUTE, NOW).range;

  it('is the shortest that shows the last incident with a quarter of the range before it', () => {
    expect(opening(10)).toBe('1h');
    expect(opening(44)).toBe('1h');
    expect(opening(50)).toBe('3h');
    expect(opening(158)).toBe('6h');
    expect(opening(5 * 60)).toBe('24h');
    expect(opening(3 * 24 * 60)).toBe('7d');
    // Begun more than 7 days ago and still going on: the longest range shows its end.
    expect(opening(9 * 24 * 60)).toBe('7d');
  });

  it('is 24h without an incident, and what was asked when a range is asked for', () => {
    expect(opening(null)).toBe('24h');
    expect(opening(10, { range: '7d' })).toBe('7d');
    expect(opening(10, { range: 'bogus' })).toBe('1h');
  });
});

describe("periods burnbook's evaluator holds", () => {
  const tier = (
    state: TierStatus['state'],
    activeAt?: string,
  ): Pick<TierStatus, 'tier' | 'state' | 'activeAt' | 'for'> & TierStatus =>
    ({ tier: 'fast', state, for: '2m', ...(activeAt ? { activeAt } : {}) }) as TierStatus;

  it('pending from activeAt; firing from activeAt + for, with the pending before it', () => {
    const since = '2026-06-01T11:50:00.000Z';
    expect(evaluatorAlertPeriods({ tiers: [tier('pending', since)] }, NOW)).toEqual([
      { tier: 'fast', state: 'pending', start: Date.parse(since) / 1000, end: NOW / 1000 },
    ]);
    expect(evaluatorAlertPeriods({ tiers: [tier('firing', since)] }, NOW)).toEqual([
      {
        tier: 'fast',
        state: 'pending',
        start: Date.parse(since) / 1000,
        end: Date.parse(since) / 1000 + 120,
      },
      { tier: 'fast', state: 'firing', start: Date.parse(since) / 1000 + 120, end: NOW / 1000 },
    ]);
  });

  it('none for a quiet, resolved or unknown tier', () => {
    expect(
      evaluatorAlertPeriods({ tiers: [tier('inactive'), tier('resolved', '2026-06-01T11:00:00Z')] }, NOW),
    ).toEqual([]);
    expect(evaluatorAlertPeriods(undefined, NOW)).toEqual([]);
  });
});

describe('periods from several sources', () => {
  it('are one period where the same tier and state overlap or touch within a step, apart otherwise', () => {
    const p = (tier: string, state: 'pending' | 'firing', start: number, end: number) => ({
      tier,
      state,
      start,
      end,
    });
    expect(
      mergedPeriods(
        [
          p('fast', 'firing', 100, 200),
          p('fast', 'firing', 230, 400),
          p('fast', 'firing', 500, 600),
          p('fast', 'pending', 90, 100),
          p('slow', 'firing', 150, 160),
        ],
        60,
      ),
    ).toEqual([
      p('fast', 'pending', 90, 100),
      p('fast', 'firing', 100, 400),
      p('slow', 'firing', 150, 160),
      p('fast', 'firing', 500, 600),
    ]);
  });
});

describe('the availability tile', () => {
  function tile(errorRatio: number | null, periodDataSeconds: number | null) {
    const [status] = evaluateSlos([slo], []);
    if (!status) throw new Error('no status');
    const patched = { ...status, errorRatios: { '30d': errorRatio }, periodDataSeconds };
    const report: EvaluatorReport = {
      state: 'ok',
      prometheusUrl: 'http://prometheus.test',
      intervalMs: 30_000,
      evaluatedAt: new Date(NOW).toISOString(),
      durationMs: 1,
      queries: 1,
      lastSuccessAt: new Date(NOW).toISOString(),
      error: null,
      alertmanager: null,
      slos: [{ ...patched, groups: [patched] }],
    };
    return sloLive(slo, report, { range: '24h' }, serverLinks('/slos/shop/availability'), NOW, null)
      .availability;
  }

  it('cuts to one digit more than the objective, so just under it never reads as meeting it', () => {
    expect(tile(0.00051, 30 * 24 * 3600)).toMatchObject({ text: '99.949%', verdict: 'below', basis: null });
    expect(tile(0.0004, 30 * 24 * 3600)).toMatchObject({ text: '99.960%', verdict: 'meets', level: 'ok' });
    expect(tile(0.0005, 30 * 24 * 3600)).toMatchObject({ text: '99.950%', verdict: 'meets' });
  });

  it('says what a young SLO rests on, and "no data" when nothing is known', () => {
    expect(tile(0.016, 42 * 60).basis).toBe('based on 42 min of data');
    expect(tile(null, null)).toMatchObject({ text: 'no data', verdict: null, level: 'unknown' });
  });
});
