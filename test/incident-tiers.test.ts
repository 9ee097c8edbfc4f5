import { describe, expect, it } from 'vitest';
import {
  type Burn,
  burnMinutes,
  expectOnePage,
  HEALTHY,
  promtoolFirings,
  seededBurns,
} from './support/outages.ts';
import { range } from './support/promtool-scenario.ts';

/**
 * The tiers of one SLO make one page per incident (the hold and settled clauses, outputs/rules/incident.ts),
 * checked by promtool on the generated rules with the default tiers (99.9%, 30 days: fast 14.4×, slow 6×,
 * very-slow 1×). An hour of health, a burn, then two hours of health again.
 */

describe('one incident, one page: the tiers of an SLO in promtool', () => {
  it('a 16-minute total outage pages once; after the recovery only the page winds down', () => {
    const of = promtoolFirings([{ phases: [[16, 1]] }]);
    const recovered = HEALTHY + 16;
    const fired = of(0);
    expect(fired.some((f) => f.tier === 'fast' && f.minute < recovered)).toBe(true);
    expectOnePage(fired, recovered, 'the 16-minute outage');
  });

  it('with one alert name for every tier (alerting.alertname), the 16-minute outage pages once too', () => {
    const fired = promtoolFirings([{ phases: [[16, 1]], alertname: 'ErrorBudgetBurn' }])(0);
    const recovered = HEALTHY + 16;
    expect(fired.some((f) => f.tier === 'fast' && f.minute < recovered)).toBe(true);
    expectOnePage(fired, recovered, 'the 16-minute outage, shared alert name');
  });

  it('with one alert name for every tier, a slower tier firing holds no faster tier: a 12× burn never pages fast', () => {
    const fired = promtoolFirings([{ phases: [[240, 0.012]], alertname: 'ErrorBudgetBurn' }])(0);
    expect(fired.some((f) => f.tier === 'slow')).toBe(true);
    expect(fired.filter((f) => f.tier === 'fast')).toEqual([]);
  });

  it('a burn that eases from 20× to 7× and goes on stays shown without a gap, and ends at recovery', () => {
    const of = promtoolFirings([
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
    const burns: Burn[] = seededBurns(16, 10);
    const of = promtoolFirings(burns);
    let paged = 0;
    burns.forEach((burn, i) => {
      const recovered = HEALTHY + burnMinutes(burn);
      const fired = of(i);
      // A burn too small to fire anything before it ended may still raise a ticket later: not a second page.
      if (!fired.some((f) => f.minute < recovered)) return;
      paged++;
      expectOnePage(fired, recovered, `burn ${i}: ${JSON.stringify(burn.phases)}`);
    });
    expect(paged).toBeGreaterThanOrEqual(5);
  });
});
