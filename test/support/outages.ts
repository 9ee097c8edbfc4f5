/**
 * Outages of SLOs with the default tiers (99.9%, 30 days: fast 14.4×, slow 6×, very-slow 1×): an hour of
 * health, a burn, then health again, the same minutes for promtool running the generated rules and for a
 * real Prometheus holding them as backfilled history for burnbook's evaluator. One SLO per burn (`s<i>` of
 * service `svc`), each with its own counters, so one run answers many outages.
 */
import { expect } from 'vitest';
import { alertName } from '../../src/conventions/names.ts';
import type { Slo } from '../../src/spec/model.ts';
import { MINUTE, type SeriesHistory, counter as stepCounter, type Timeline } from './history.ts';
import { counter, firings, range, slosFrom, writeRules } from './promtool-scenario.ts';
import { random } from './random.ts';

export const HEALTHY = 60;
export const AFTER = 150;
// A million requests a minute: whole numbers of failures still carry a ratio to six digits (14.43× stays over 14.4×).
const PER_MINUTE = 1_000_000;

/**
 * Failed requests a minute at an error ratio: whole numbers, so the counters promtool expands from
 * `a+bxn` never step back by a rounding error (which Prometheus reads as a reset, a spike of errors).
 */
const failing = (ratio: number) => Math.round(PER_MINUTE * ratio);

export interface Burn {
  /** Phases of the burn: minutes at an error ratio. */
  phases: Array<[minutes: number, ratio: number]>;
  /** One name for every tier of the SLO (`alerting.alertname`, as Sloth and Pyrra name them). */
  alertname?: string;
}

/** A tier firing at a scenario minute. */
export interface Fired {
  minute: number;
  tier: string;
}

export const burnMinutes = (burn: Burn) => burn.phases.reduce((total, [m]) => total + m, 0);

/** The minute the burn ends (the first healthy one after it). */
export const recoveredAt = (burn: Burn) => HEALTHY + burnMinutes(burn);

/** The last minute of every scenario of these burns: they all run as long as the longest needs. */
export const lastMinute = (burns: Burn[]) => HEALTHY + Math.max(...burns.map(burnMinutes)) + AFTER - 1;

export function outageSlos(burns: Burn[]): Slo[] {
  return slosFrom(`apiVersion: burnbook/v1
service: svc
slos:
${burns
  .map((burn, i) => {
    const alerting = burn.alertname ? `, alerting: {alertname: ${burn.alertname}}` : '';
    return `  - {name: s${i}, objective: 99.9, sli: {ratio: {errors: 'r${i}_total{code="500"}', total: r${i}_total}}${alerting}}`;
  })
  .join('\n')}
`);
}

/** The burn's phases with health around it, to `lastMinute`: a series that stopped early reads as a stopped scrape. */
function allPhases(burn: Burn, burns: Burn[]): Array<[number, number]> {
  return [[HEALTHY, 0], ...burn.phases, [lastMinute(burns) + 1 - recoveredAt(burn), 0]];
}

/** The error ratio of the requests counted in the minute ending at `minute` (promtool's counter steps). */
function ratioAt(phases: Array<[number, number]>, minute: number): number {
  let start = 0;
  for (const [minutes, ratio] of phases) {
    if (minute < start + minutes) return ratio;
    start += minutes;
  }
  return 0;
}

/** Per SLO `s<i>`: the minutes at which any of its tiers fired, and which (by `slo_tier`). */
export type Firings = (i: number) => Fired[];

/** The generated rules of `outageSlos(burns)` run by promtool, one evaluation a minute. */
export function promtoolFirings(burns: Burn[]): Firings {
  const slos = outageSlos(burns);
  const { ruleFile } = writeRules(slos);
  const series = burns.flatMap((burn, i) => {
    const phases = allPhases(burn, burns);
    return [
      {
        series: `r${i}_total{code="200"}`,
        values: counter(phases.map(([m, r]) => [m, PER_MINUTE - failing(r)])),
      },
      { series: `r${i}_total{code="500"}`, values: counter(phases.map(([m, r]) => [m, failing(r)])) },
    ];
  });
  const fired = firings({
    ruleFile: ruleFile('svc'),
    series,
    alertnames: [...new Set(slos.flatMap((slo) => slo.alerting.tiers.map((tier) => alertName(slo, tier))))],
    minutes: range(HEALTHY, lastMinute(burns)),
  });
  return (i) =>
    fired.flatMap((f) =>
      f.alerts
        .filter((labels) => labels.includes(`slo="s${i}"`))
        .map((labels) => ({ minute: f.minute, tier: /slo_tier="([^"]+)"/.exec(labels)?.[1] ?? '' })),
    );
}

/**
 * The same counters as backfilled history whose minute 0 is `start`. The series begin there, as in promtool,
 * where rules and series start together: the rules then count only what exists in each window (an SLI
 * younger than the window), which is what raw queries over this history read too.
 */
export function outageHistory(burns: Burn[], start: number): SeriesHistory[] {
  const timeline: Timeline = { start, end: start + lastMinute(burns) * MINUTE, stepMs: MINUTE };
  return burns.flatMap((burn, i) => {
    const phases = allPhases(burn, burns);
    const ratio = (t: number) => ratioAt(phases, (t - start) / MINUTE);
    return [
      {
        name: `r${i}_total`,
        labels: { code: '200' },
        points: stepCounter(timeline, (t) => PER_MINUTE - failing(ratio(t))),
      },
      {
        name: `r${i}_total`,
        labels: { code: '500' },
        points: stepCounter(timeline, (t) => failing(ratio(t))),
      },
    ];
  });
}

const ORDER = ['fast', 'slow', 'very-slow'];

/**
 * After the recovery, the fastest tier firing in any minute (the one Alertmanager does not inhibit) was
 * already firing before it: no notification but the resolve.
 */
export function expectNoNewPage(fired: Fired[], recovered: number, what: string) {
  const before = new Set(fired.filter((f) => f.minute === recovered - 1).map((f) => f.tier));
  const after = fired.filter((f) => f.minute >= recovered);
  for (const minute of new Set(after.map((f) => f.minute))) {
    const top = after
      .filter((f) => f.minute === minute)
      .map((f) => f.tier)
      .sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b))[0];
    expect(before.has(top ?? ''), `${what}: ${top} uninhibited at minute ${minute}`).toBe(true);
  }
}

/** No new page after the recovery (`expectNoNewPage`), and every tier quiet within 6 minutes. */
export function expectOnePage(fired: Fired[], recovered: number, what: string) {
  expectNoNewPage(fired, recovered, what);
  const after = fired.filter((f) => f.minute >= recovered);
  expect(Math.max(recovered, ...after.map((f) => f.minute)), what).toBeLessThanOrEqual(recovered + 6);
}

/** Seeded single-phase outages: 2 to 121 minutes, 7× to 1000× a 0.1% budget (just over slow to a total outage). */
export function seededBurns(seed: number, count: number): Burn[] {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const minutes = 2 + Math.floor(next() * 120);
    const ratio = Math.min(1, 0.007 * 150 ** next());
    return { phases: [[minutes, ratio]] };
  });
}
