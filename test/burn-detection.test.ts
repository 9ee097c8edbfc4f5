import { describe, expect, it } from 'vitest';
import { alertName } from '../src/conventions/names.ts';
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

const [slo, grouped] = slosFrom(SPEC);
if (!slo || !grouped) throw new Error('spec did not load');
const { ruleFile } = writeRules([slo, grouped]);
const names = slo.alerting.tiers.map((t) => alertName(slo, t));
const fast = names[0] as string;

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

/** Minutes from the start of the incident (after the healthy hour) until the fast tier fires. */
function minutesToPage(ratio: number, minutes: number, lookFrom = 55): number {
  const fired = firings({
    ruleFile: ruleFile('api'),
    series: incident(ratio, minutes),
    alertnames: [fast],
    minutes: range(lookFrom, minutes),
  });
  return (fired.find((f) => f.alertname === fast)?.minute ?? Number.POSITIVE_INFINITY) - 60;
}

describe('default tiers on a 99.9%/30d SLO (real promtool)', () => {
  it('pages on a total outage within a few minutes', () => {
    const detected = minutesToPage(1, 80);
    // 0.86 min for the 1h window to cross 0.0144, the 2m `for`, and a scrape or two of rate lag.
    expect(detected).toBeGreaterThanOrEqual(2);
    expect(detected).toBeLessThanOrEqual(5);
  });

  it('pages on a 2% error ratio after 43-50 minutes, as the workbook says', () => {
    const detected = minutesToPage(0.02, 120, 90);
    expect(detected).toBeGreaterThanOrEqual(43);
    expect(detected).toBeLessThanOrEqual(50);
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
