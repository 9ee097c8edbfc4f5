import { describe, expect, it } from 'vitest';
import { alertName } from '../src/conventions/names.ts';
import { counter, firings, range, slosFrom, writeRules } from './support/promtool-scenario.ts';
import { random } from './support/random.ts';

/**
 * The tiers of one SLO make one page per incident (the hold and settled clauses, outputs/rules/incident.ts),
 * checked by promtool on the generated rules with the default tiers (99.9%, 30 days: fast 14.4×, slow 6×,
 * very-slow 1×). An hour of health, a burn, then two hours of health again.
 */

const HEALTHY = 60;
const AFTER = 150;
const PER_MINUTE = 1000;

interface Burn {
  /** Phases of the burn: minutes at an error ratio. */
  phases: Array<[minutes: number, ratio: number]>;
}

/** `alertname`: one name for every tier (`alerting.alertname`, as Sloth and Pyrra name them). */
function scenario(burns: Burn[], alertname?: string) {
  const alerting = alertname ? `, alerting: {alertname: ${alertname}}` : '';
  const spec = `apiVersion: burnbook/v1
service: svc
slos:
${burns.map((_, i) => `  - {name: s${i}, objective: 99.9, sli: {ratio: {errors: 'r${i}_total{code="500"}', total: r${i}_total}}${alerting}}`).join('\n')}
`;
  const slos = slosFrom(spec);
  const { ruleFile } = writeRules(slos);
  const longest = burns.reduce((most, b) => Math.max(most, sum(b)), 0);
  const series = burns.flatMap((burn, i) => {
    // Every series runs to the same end: one that stopped early would read as a scrape that stopped.
    const phases: Array<[number, number]> = [[HEALTHY, 0], ...burn.phases, [AFTER + longest - sum(burn), 0]];
    return [
      {
        series: `r${i}_total{code="200"}`,
        values: counter(phases.map(([m, r]) => [m, PER_MINUTE * (1 - r)])),
      },
      { series: `r${i}_total{code="500"}`, values: counter(phases.map(([m, r]) => [m, PER_MINUTE * r])) },
    ];
  });
  const end = HEALTHY + longest + AFTER - 1;
  const fired = firings({
    ruleFile: ruleFile('svc'),
    series,
    alertnames: [...new Set(slos.flatMap((slo) => slo.alerting.tiers.map((tier) => alertName(slo, tier))))],
    minutes: range(HEALTHY, end),
  });
  /** Minutes at which any tier of SLO i fired, and which (by `slo_tier`: alert names may be shared). */
  return (i: number) =>
    fired.flatMap((f) =>
      f.alerts
        .filter((labels) => labels.includes(`slo="s${i}"`))
        .map((labels) => ({ minute: f.minute, tier: /slo_tier="([^"]+)"/.exec(labels)?.[1] ?? '' })),
    );
}

const ORDER = ['fast', 'slow', 'very-slow'];

/**
 * After the recovery, the fastest tier firing in any minute (the one Alertmanager does not inhibit) was
 * already firing before it: no notification but the resolve; and every tier is quiet within 6 minutes.
 */
function expectOnePage(fired: Array<{ minute: number; tier: string }>, recovered: number, what: string) {
  const before = new Set(fired.filter((f) => f.minute === recovered - 1).map((f) => f.tier));
  const after = fired.filter((f) => f.minute >= recovered);
  for (const minute of new Set(after.map((f) => f.minute))) {
    const top = after
      .filter((f) => f.minute === minute)
      .map((f) => f.tier)
      .sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b))[0];
    expect(before.has(top ?? ''), `${what}: ${top} uninhibited at minute ${minute}`).toBe(true);
  }
  expect(Math.max(recovered, ...after.map((f) => f.minute)), what).toBeLessThanOrEqual(recovered + 6);
}

const sum = (burn: Burn) => burn.phases.reduce((total, [m]) => total + m, 0);

describe('one incident, one page: the tiers of an SLO in promtool', () => {
  it('a 16-minute total outage pages once; after the recovery only the page winds down', () => {
    const of = scenario([{ phases: [[16, 1]] }]);
    const recovered = HEALTHY + 16;
    const fired = of(0);
    expect(fired.some((f) => f.tier === 'fast' && f.minute < recovered)).toBe(true);
    expectOnePage(fired, recovered, 'the 16-minute outage');
  });

  it('with one alert name for every tier (alerting.alertname), the 16-minute outage pages once too', () => {
    const fired = scenario([{ phases: [[16, 1]] }], 'ErrorBudgetBurn')(0);
    const recovered = HEALTHY + 16;
    expect(fired.some((f) => f.tier === 'fast' && f.minute < recovered)).toBe(true);
    expectOnePage(fired, recovered, 'the 16-minute outage, shared alert name');
  });

  it('with one alert name for every tier, a slower tier firing holds no faster tier: a 12× burn never pages fast', () => {
    const fired = scenario([{ phases: [[240, 0.012]] }], 'ErrorBudgetBurn')(0);
    expect(fired.some((f) => f.tier === 'slow')).toBe(true);
    expect(fired.filter((f) => f.tier === 'fast')).toEqual([]);
  });

  it('a burn that eases from 20× to 7× and goes on stays shown without a gap, and ends at recovery', () => {
    const of = scenario([
      {
        phases: [
          [60, 0.02],
          [120, 0.007],
        ],
      },
    ]);
    const eased = HEALTHY + 60;
    const recovered = eased + 120;
    const minutes = new Set(of(0).map((f) => f.minute));
    const firstFired = Math.min(...minutes);
    expect(firstFired).toBeLessThan(eased);
    // Some tier fires in every minute from the first page to the recovery: never resolved, never paged anew.
    for (const m of range(firstFired, recovered - 1)) expect(minutes.has(m), `minute ${m}`).toBe(true);
    expect(Math.max(...minutes)).toBeLessThanOrEqual(recovered + 5);
  });

  it('seeded outages of any length and burn: once the burn ends, no tier starts firing, and all are quiet within 6 minutes', () => {
    const next = random(16);
    const burns: Burn[] = Array.from({ length: 10 }, () => {
      const minutes = 2 + Math.floor(next() * 120);
      // 7× to 1000× a 0.1% budget: from just over the slow tier to a total outage.
      const ratio = Math.min(1, 0.007 * 150 ** next());
      return { phases: [[minutes, ratio]] };
    });
    const of = scenario(burns);
    let paged = 0;
    burns.forEach((burn, i) => {
      const recovered = HEALTHY + sum(burn);
      const fired = of(i);
      // A burn too small to fire anything before it ended may still raise a ticket later: not a second page.
      if (!fired.some((f) => f.minute < recovered)) return;
      paged++;
      expectOnePage(fired, recovered, `burn ${i}: ${JSON.stringify(burn.phases)}`);
    });
    expect(paged).toBeGreaterThanOrEqual(5);
  });
});
