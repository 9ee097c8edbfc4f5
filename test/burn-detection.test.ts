import { describe, expect, it } from 'vitest';
import { alertName } from '../src/conventions/names.ts';
import type { Tier } from '../src/policy/tiers.ts';
import type { Slo } from '../src/spec/model.ts';
import { counter, exprMismatch, firings, range, slosFrom, writeRules } from './support/promtool-scenario.ts';

/**
 * The default tiers on a 99.9% / 30d SLO, run through the real promtool, against the SRE
 * workbook's numbers: time to detect = budget × long window × factor ÷ error ratio.
 */
const SPEC = `
apiVersion: burnbook/v1
service: api
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: requests_total{code="500"}
        total: requests_total
  - name: tenants
    objective: 99.9
    sli:
      ratio:
        errors: requests_total{code="500"}
        total: requests_total
    groupBy: [tenant]
`;

const [slo, grouped] = slosFrom(SPEC) as [Slo, Slo];
const { ruleFile } = writeRules([slo, grouped]);
const names = slo.alerting.tiers.map((t) => alertName(slo, t));
const fast = names[0] as string;
const MINUTE = 60_000;

/** One hour healthy at 1000 requests/min, then `ratio` of them failing. */
function incident(ratio: number, minutes: number, labels = '') {
  const good = counter([
    [60, 1000],
    [minutes - 60, 1000 * (1 - ratio)],
  ]);
  const bad = counter([
    [60, 0],
    [minutes - 60, 1000 * ratio],
  ]);
  return [
    { series: `requests_total{code="200"${labels}}`, values: good },
    { series: `requests_total{code="500"${labels}}`, values: bad },
  ];
}

function incidentAfter(healthy: number, ratio: number, minutes: number) {
  return [
    {
      series: 'requests_total{code="200"}',
      values: counter([
        [healthy, 1000],
        [minutes - healthy, 1000 * (1 - ratio)],
      ]),
    },
    {
      series: 'requests_total{code="500"}',
      values: counter([
        [healthy, 0],
        [minutes - healthy, 1000 * ratio],
      ]),
    },
  ];
}

/**
 * Healthy for one long window of the tier, then `ratio` of the events failing (from the minute before the
 * phase: its first counter step), evaluated every `every` minutes. The minute the tier fires, and the
 * minute the Workbook says it should: the detection time rounded up to an evaluation, then `for`, rounded
 * up to one again.
 */
function firesAt(tier: Tier, ratio: number, workbookMinutes: number, every: number) {
  const healthy = tier.longMs / MINUTE;
  const onset = healthy - 1;
  const up = (minute: number) => Math.ceil(minute / every) * every;
  const due = up(up(onset + workbookMinutes) + tier.forMs / MINUTE);
  const name = alertName(slo, tier);
  const fired = firings({
    ruleFile: ruleFile('api'),
    series: incidentAfter(healthy, ratio, due + 3 * every),
    alertnames: [name],
    minutes: range(due - 2 * every, due + 2 * every, every),
    evaluationInterval: `${every}m`,
  });
  return { fired: fired.find((f) => f.alertname === name)?.minute ?? Number.POSITIVE_INFINITY, due };
}

describe('default tiers on a 99.9%/30d SLO (real promtool)', () => {
  // SRE Workbook, "Alerting on SLOs": detection time = (1 − SLO) ÷ error ratio × window × burn rate. The
  // very-slow tier's three days are evaluated every 10m to stay quick; the others every minute.
  it.each([
    ['fast', 1, 0.864, 1],
    ['fast', 0.02, 43.2, 1],
    ['slow', 1, 2.16, 1],
    ['slow', 0.02, 108, 1],
    ['very-slow', 1, 4.32, 10],
    ['very-slow', 0.02, 216, 10],
  ])(
    '%s tier, error ratio %d: fires %d minutes in, plus `for`, within one evaluation (every %dm)',
    (name, ratio, workbook, every) => {
      const tier = slo.alerting.tiers.find((t) => t.name === name) as Tier;
      const { fired, due } = firesAt(tier, ratio, workbook, every);
      expect(fired).toBeGreaterThanOrEqual(due);
      expect(fired).toBeLessThanOrEqual(due + every);
    },
  );

  it('pages on a one-minute total outage: 2.3% of the budget within the hour', () => {
    // Two healthy hours, one minute of every request failing, healthy again.
    const series = [
      {
        series: 'requests_total{code="200"}',
        values: counter([
          [121, 1000],
          [1, 0],
          [60, 1000],
        ]),
      },
      {
        series: 'requests_total{code="500"}',
        values: counter([
          [121, 0],
          [1, 1000],
          [60, 0],
        ]),
      },
    ];
    const fired = firings({
      ruleFile: ruleFile('api'),
      series,
      alertnames: [fast],
      minutes: range(115, 175),
    });
    // The failing minute ends at 121; pending from the next evaluation, firing 2m (`for`) later.
    expect(fired[0]?.minute).toBe(123);
    expect(fired.every((f) => f.minute <= 126)).toBe(true);
  });

  it('never alerts on a 0.9x burn sustained for three days', () => {
    const days = 3 * 24 * 60;
    const series = [
      { series: 'requests_total{code="200"}', values: counter([[days, 1000 * (1 - 0.0009)]]) },
      { series: 'requests_total{code="500"}', values: counter([[days, 1000 * 0.0009]]) },
    ];
    const fired = firings({
      ruleFile: ruleFile('api'),
      series,
      alertnames: names,
      minutes: range(30, days - 1, 30),
      evaluationInterval: '10m',
    });
    expect(fired).toEqual([]);
  });

  it('keeps groupBy labels end to end: one alert per burning group', () => {
    const series = [
      ...incident(1, 80, ', tenant="a"'),
      ...incident(1, 80, ', tenant="b"'),
      ...incident(0, 80, ', tenant="c"'),
    ];
    const [fastTier] = grouped.alerting.tiers;
    if (!fastTier) throw new Error('grouped SLO has no tiers');
    const name = alertName(grouped, fastTier);
    const fired = firings({ ruleFile: ruleFile('api'), series, alertnames: [name], minutes: [75] });
    expect(fired).toHaveLength(1);
    const alerts = fired[0]?.alerts ?? [];
    expect(alerts).toHaveLength(2);
    expect(alerts.map((a) => /tenant="(\w)"/.exec(a)?.[1]).sort()).toEqual(['a', 'b']);
  });

  it.each([
    ['zero traffic', 0],
    ['traffic but no error series yet', 1000],
  ])('records an error ratio of 0, not NaN or no data, with %s', (_, perMinute) => {
    const series = [{ series: 'requests_total{code="200"}', values: counter([[120, perMinute]]) }];
    const labels = '{__name__="slo:sli_error:ratio_rate1h", slo="availability", slo_service="api"}';
    const mismatch = exprMismatch({
      ruleFile: ruleFile('api'),
      series,
      expr: 'slo:sli_error:ratio_rate1h{slo="availability"}',
      minute: 90,
      samples: [{ labels, value: 0 }],
    });
    expect(mismatch).toBeUndefined();
  });
});
