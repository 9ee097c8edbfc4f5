import { describe, expect, it } from 'vitest';
import { prometheusClientOptions } from '../src/commands/prometheus-options.ts';
import { windowsOf } from '../src/conventions/names.ts';
import { postable } from '../src/evaluator/alerts.ts';
import { evaluateSlos, type QueryOutcome } from '../src/evaluator/evaluate.ts';
import { MEASURE_LABEL, planFallback, planQueries } from '../src/evaluator/plan.ts';
import { advance, INACTIVE, RESOLVED_RETENTION_MS, type TierState } from '../src/evaluator/state.ts';
import type { InstantSample } from '../src/prometheus/client.ts';
import { slosFrom } from './support/promtool-scenario.ts';

const HOUR = 3_600_000;

function spec(count: number, extra = ''): string {
  const slos = Array.from(
    { length: count },
    (_, i) => `  - name: s${i}
    objective: 99.9
    sli: {ratio: {errors: 'r${i}_total{code="500"}', total: r${i}_total}}
${extra}`,
  );
  return `apiVersion: burnbook/v1\nservice: svc\nslos:\n${slos.join('\n')}\n`;
}

const sample = (metric: Record<string, string>, value: number): InstantSample => ({
  metric,
  value,
  timestampMs: 0,
});

describe('query planning', () => {
  it('asks one query per window however many SLOs there are, from the rules first', () => {
    const slos = slosFrom(spec(40));
    const windows = new Set(slos.flatMap(windowsOf)).size;
    const plans = planQueries(slos);
    expect(plans).toHaveLength(windows);
    expect(plans.every((p) => p.source === 'rules' && p.slos.length === 40)).toBe(true);
    expect(plans[0]?.expr).toContain('label_replace(');
    expect(plans[0]?.expr).toContain(`"${MEASURE_LABEL}", "ratio"`);
    expect(plans.find((p) => p.windowMs === HOUR)?.expr).toMatch(
      /^label_replace\(slo:sli_error:ratio_rate1h\{slo_service=~"svc", slo=~"s0\|s1\|/,
    );
  });

  it('asks the period window for the budget left and the data behind it', () => {
    const slos = slosFrom(spec(1));
    const period = planQueries(slos).find((p) => p.windowMs === 30 * 24 * HOUR);
    expect(period?.expr).toContain('slo:period_error_budget_remaining:ratio');
    // The data behind it: the rules' two start records, as the dashboards and pages read them.
    expect(period?.expr).toContain('time() - slo:traffic_start:timestamp{');
    expect(period?.expr).toContain('time() - slo:recordings_start:timestamp{');
    expect(planQueries(slos).find((p) => p.windowMs === HOUR)?.expr).not.toContain('budget_remaining');
  });

  it('falls back to the raw SLI where an SLO has no ratio record for the window', () => {
    const slos = slosFrom(spec(2));
    const rules = planQueries(slos).find((p) => p.windowMs === HOUR);
    if (!rules) throw new Error('no plan');
    const answered = [
      { query: rules, samples: [sample({ slo_service: 'svc', slo: 's1', [MEASURE_LABEL]: 'ratio' }, 0)] },
    ];
    expect(planFallback(answered).map((p) => [p.source, p.windowMs, p.slos.map((s) => s.name)])).toEqual([
      ['raw', HOUR, ['s0']],
    ]);
  });

  it('asks for event counts only where minEvents needs them', () => {
    const slos = slosFrom(spec(1, '    minEvents: 100'));
    const plans = planQueries(slos);
    const withEvents = plans.filter((p) => p.expr.includes('"events"')).map((p) => p.windowMs);
    expect(withEvents).toEqual(slos[0]?.alerting.tiers.map((t) => t.longMs));
  });
});

describe('evaluation from samples', () => {
  const [slo] = slosFrom(spec(1));
  if (!slo) throw new Error('no SLO');
  const id = { slo_service: 'svc', slo: 's0', [MEASURE_LABEL]: 'ratio' };
  const plan = (windowMs: number) => planQueries([slo]).find((p) => p.windowMs === windowMs);

  it('settles a tier on one known window below the threshold, and leaves it unknown otherwise', () => {
    const outcomes = (oneHour: number): QueryOutcome[] => [
      { query: plan(HOUR) as NonNullable<ReturnType<typeof plan>>, samples: [sample(id, oneHour)] },
      { query: plan(5 * 60_000) as NonNullable<ReturnType<typeof plan>>, error: new Error('5m failed') },
    ];
    const quiet = evaluateSlos([slo], outcomes(0.001))[0];
    expect(quiet?.tiers[0]?.burning).toBe(false);
    const hot = evaluateSlos([slo], outcomes(0.5))[0];
    expect(hot?.tiers[0]?.burning).toBeNull();
    expect(hot?.errors).toEqual(['5m failed']);
    expect(hot?.burnRates['5m']).toBeNull();
    expect(hot?.burnRates['1h']).toBeCloseTo(500, 9);
  });

  it('lists every SLO with unknown numbers before anything is known', () => {
    const [status] = evaluateSlos([slo], []);
    expect(status).toMatchObject({ budgetRemaining: null, timeToExhaustionMs: null, errors: [] });
    expect(status?.groups).toHaveLength(1);
    expect(status?.tiers.every((t) => t.burning === null && !t.firing)).toBe(true);
  });
});

describe('tier state with for', () => {
  const FOR = 120_000;
  const run = (steps: Array<[number, boolean | null]>): TierState[] => {
    let state = INACTIVE;
    return steps.map(([t, holds]) => {
      state = advance(state, holds, t, FOR);
      return state;
    });
  };

  it('pends, fires once the condition has held for `for`, resolves, and forgets after the retention', () => {
    const states = run([
      [0, true],
      [60_000, true],
      [120_000, true],
      [180_000, false],
      [180_000 + RESOLVED_RETENTION_MS, false],
    ]);
    expect(states.map((s) => s.state)).toEqual(['pending', 'pending', 'firing', 'resolved', 'inactive']);
    expect(states[2]).toEqual({ state: 'firing', activeAt: 0, firedAt: 120_000 });
    expect(states[3]).toMatchObject({ resolvedAt: 180_000, firedAt: 120_000 });
  });

  it('an unknown condition changes nothing; a pending alert that stops holding never fired', () => {
    expect(
      run([
        [0, true],
        [60_000, null],
        [200_000, null],
      ]).map((s) => s.state),
    ).toEqual(['pending', 'pending', 'pending']);
    expect(
      run([
        [0, true],
        [60_000, false],
      ]).map((s) => s.state),
    ).toEqual(['pending', 'inactive']);
  });

  it('fires at once without `for`', () => {
    expect(advance(INACTIVE, true, 5, 0)).toEqual({ state: 'firing', activeAt: 5, firedAt: 5 });
  });
});

describe('alerts for Alertmanager', () => {
  const content = { labels: { alertname: 'x' }, annotations: {} };
  it('firing alerts stay valid a few intervals; resolved ones end when they were resolved; pending ones are not sent', () => {
    const firing = postable(
      content,
      { state: 'firing', activeAt: 0, firedAt: 1_000 },
      10_000,
      4_000,
      'http://g',
    );
    expect(firing).toMatchObject({
      startsAt: new Date(1_000).toISOString(),
      endsAt: new Date(14_000).toISOString(),
    });
    const resolved = postable(
      content,
      { state: 'resolved', firedAt: 1_000, resolvedAt: 9_000 },
      10_000,
      4_000,
      'g',
    );
    expect(resolved?.endsAt).toBe(new Date(9_000).toISOString());
    expect(postable(content, { state: 'pending', activeAt: 0 }, 10_000, 4_000, 'g')).toBeUndefined();
  });
});

describe('Prometheus flags', () => {
  it('turns headers, a bearer token and a timeout into client options, and says what is wrong', () => {
    expect(
      prometheusClientOptions({
        prometheusUrl: 'http://mimir:8080/prometheus',
        prometheusTimeout: '45s',
        prometheusBearerToken: 't0k',
        // The environment variable carries one header per line.
        prometheusHeader: ['X-Scope-OrgID: tenant-a', 'X-A: 1\nX-B:  two words'],
      }),
    ).toEqual({
      url: 'http://mimir:8080/prometheus',
      timeoutMs: 45_000,
      bearerToken: 't0k',
      headers: { 'X-Scope-OrgID': 'tenant-a', 'X-A': '1', 'X-B': 'two words' },
    });
    expect(prometheusClientOptions({ prometheusTimeout: '10s' })).toMatch(/--prometheus-url/);
    expect(prometheusClientOptions({ prometheusUrl: 'http://p', prometheusTimeout: 'soon' })).toMatch(
      /--prometheus-timeout "soon" is not a positive duration/,
    );
    expect(prometheusClientOptions({ prometheusUrl: 'http://p', prometheusTimeout: '0s' })).toMatch(
      /--prometheus-timeout "0s" is not a positive duration/,
    );
    expect(
      prometheusClientOptions({
        prometheusUrl: 'http://p',
        prometheusTimeout: '1s',
        prometheusHeader: ['X-Scope-OrgID'],
      }),
    ).toMatch(/"Name: value"/);
  });
});
