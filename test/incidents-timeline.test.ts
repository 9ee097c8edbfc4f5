import { describe, expect, it } from 'vitest';
import type { AlertDetail } from '../src/alerts/store/store.ts';
import { silenceMatches, silencesCovering } from '../src/incidents/silences.ts';
import { burnOf, detection, timelineOf, wentPoorly } from '../src/incidents/timeline.ts';
import { slosFrom } from './support/promtool-scenario.ts';

const S = 1000;
const series = (ratios: Array<number | null>) => ({ timestamps: ratios.map((_, i) => i * S), ratios });

describe('the burn read off the error ratio', () => {
  it('starts where the run above the budget rate began, ends at the first point back under it', () => {
    const burn = burnOf(series([0, 0.05, 0.2, 0.5, 0.9, 0.3, 0.05, 0.02]), 0.1, 4 * S);
    expect(burn).toEqual({ startMs: 2 * S, recoveredMs: 6 * S, peak: { ratio: 0.9, atMs: 4 * S } });
  });

  it('a dip and a second rise within the incident: ends after the last point above', () => {
    const burn = burnOf(series([0, 0.2, 0.05, 0.3, 0.01]), 0.1, 1 * S);
    expect(burn).toMatchObject({ startMs: 1 * S, recoveredMs: 4 * S, peak: { ratio: 0.3 } });
  });

  it('still burning: no recovery; never above: nothing; a rise after the alert started still counts', () => {
    expect(burnOf(series([0, 0.2, 0.4]), 0.1, 2 * S).recoveredMs).toBeNull();
    expect(burnOf(series([0, 0.01, 0.02]), 0.1, 2 * S)).toEqual({
      startMs: null,
      recoveredMs: null,
      peak: null,
    });
    expect(burnOf(series([0, 0, 0.5, 0]), 0.1, 0).startMs).toBe(2 * S);
    // A gap in the data ends the walk back: burnbook does not guess across it.
    expect(burnOf(series([0.5, null, 0.5, 0.5, 0]), 0.1, 3 * S).startMs).toBe(2 * S);
  });
});

describe('silences', () => {
  const silence = (
    matchers: Array<{ name: string; value: string; isRegex?: boolean; isEqual?: boolean }>,
  ) => ({
    id: 's',
    matchers: matchers.map((m) => ({ isRegex: false, isEqual: true, ...m })),
    startsAt: 10 * S,
    endsAt: 20 * S,
    createdBy: '',
    comment: '',
  });

  it('match as Alertmanager matches: equal, anchored RE2 regex, negated, a missing label is empty', () => {
    const labels = { slo: 'checkout', tenant: 'acme' };
    expect(silenceMatches(silence([{ name: 'slo', value: 'checkout' }]), labels)).toBe(true);
    expect(silenceMatches(silence([{ name: 'slo', value: 'check', isRegex: true }]), labels)).toBe(false);
    expect(silenceMatches(silence([{ name: 'slo', value: 'check.*', isRegex: true }]), labels)).toBe(true);
    expect(silenceMatches(silence([{ name: 'tenant', value: 'acme', isEqual: false }]), labels)).toBe(false);
    expect(silenceMatches(silence([{ name: 'region', value: '' }]), labels)).toBe(true);
    expect(silenceMatches(silence([{ name: 'slo', value: '(', isRegex: true }]), labels)).toBe(false);
  });

  it('cover an incident when they overlap it in time and match one of its alerts', () => {
    const s = silence([{ name: 'slo', value: 'checkout' }]);
    const alerts = [{ labels: { slo: 'checkout' } }];
    expect(silencesCovering([s], alerts, 15 * S, null)).toHaveLength(1);
    expect(silencesCovering([s], alerts, 21 * S, 30 * S)).toHaveLength(0);
    expect(silencesCovering([s], [{ labels: { slo: 'search' } }], 15 * S, null)).toHaveLength(0);
  });
});

const [slo] = slosFrom(`
apiVersion: burnbook/v1
service: shop
slos:
  - name: checkout
    objective: 99
    sli:
      ratio:
        errors: r{code="500"}
        total: r
`);
if (!slo) throw new Error('spec did not load');

function alert(id: number, tier: string, severity: string, firedAt: number): AlertDetail {
  return {
    id,
    fingerprint: `f${id}`,
    status: 'resolved',
    startsAt: firedAt - 60 * S,
    endsAt: firedAt + 600 * S,
    labels: {},
    annotations: {},
    generatorURL: '',
    alertname: `checkout-${tier}-burn`,
    severity,
    sloService: 'shop',
    slo: 'checkout',
    sloTier: tier,
    firstReceivedAt: firedAt,
    lastReceivedAt: firedAt + 600 * S,
    receiveCount: 2,
    events: [
      { kind: 'fired', at: firedAt },
      { kind: 'resolved', at: firedAt + 601 * S },
    ],
    evidence: [],
  };
}

describe('what went poorly, as burnbook can tell', () => {
  it('a slower tier fired but no page did', () => {
    const alerts = [alert(1, 'very-slow', 'ticket', 100 * S)];
    const poorly = wentPoorly({
      slo,
      alerts,
      burn: null,
      detection: detection(alerts),
      spentBeforePage: null,
    });
    expect(poorly).toEqual([
      'A slower tier fired (very-slow tier (ticket)) but no page did: nobody was woken for this burn.',
    ]);
  });

  it('detected late, and after more of the budget than the tier lets go', () => {
    const alerts = [alert(1, 'fast', 'page', 3_600 * S)];
    // A total outage from 0: the fast tier (14.4 × 1% over 1h) should fire within 8.6 min (+ its 2m for).
    const burn = { startMs: 0, recoveredMs: 4_000 * S, peak: { ratio: 1, atMs: 100 * S } };
    const poorly = wentPoorly({ slo, alerts, burn, detection: detection(alerts), spentBeforePage: 0.05 });
    expect(poorly).toEqual([
      'Detected only after 60 min: at the peak error ratio (1) the fast tier should page within 10.6 min.',
      "The page fired after 5% of the period's error budget was spent; the fast tier is meant to page by 2%.",
    ]);
    const quick = wentPoorly({
      slo,
      alerts: [alert(1, 'fast', 'page', 600 * S)],
      burn,
      detection: detection([alert(1, 'fast', 'page', 600 * S)]),
      spentBeforePage: 0.01,
    });
    expect(quick).toEqual([]);
  });

  it('the timeline: burn start, starts and ends as Prometheus stamped them, the page received, recovery', () => {
    const alerts = [alert(1, 'fast', 'page', 700 * S)];
    const burn = { startMs: 500 * S, recoveredMs: 2_000 * S, peak: { ratio: 0.5, atMs: 700 * S } };
    const entries = timelineOf(alerts, burn, [], 0.01, detection(alerts)).map((e) => [e.atMs / S, e.kind]);
    expect(entries).toEqual([
      [500, 'burn-start'],
      [640, 'fired'],
      [700, 'notified'],
      [1300, 'resolved'],
      [2000, 'recovered'],
    ]);
  });
});
