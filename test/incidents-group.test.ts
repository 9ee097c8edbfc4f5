import { describe, expect, it } from 'vitest';
import {
  alertEnd,
  type GroupedAlert,
  groupIncidents,
  type IncidentKey,
  REFIRE_GAP_MS,
} from '../src/incidents/group.ts';
import { chooser, random } from './support/random.ts';

type Alert = GroupedAlert & { key: string };

const MINUTE = 60_000;
const keyOf = (alert: Alert): IncidentKey | undefined =>
  alert.key === 'none' ? undefined : { kind: 'alert', id: alert.key, alertname: alert.key };

function alert(id: number, key: string, startMin: number, endMin: number | null): Alert {
  return {
    id,
    key,
    status: endMin === null ? 'firing' : 'resolved',
    startsAt: startMin * MINUTE,
    endsAt: endMin === null ? null : endMin * MINUTE,
    lastReceivedAt: (endMin ?? startMin) * MINUTE,
  };
}

describe('alerts grouped into incidents', () => {
  it('the tiers of one burn are one incident; a burn after the gap is another; other keys stay apart', () => {
    const incidents = groupIncidents(
      [
        alert(1, 'checkout', 0, 20), // fast tier
        alert(2, 'checkout', 5, 60), // slow tier, overlapping
        alert(3, 'checkout', 70, 80), // re-fire within 30 minutes of the end
        alert(4, 'checkout', 200, null), // the next day's burn, still firing
        alert(5, 'search', 10, 15),
        alert(6, 'none', 10, 15),
      ],
      keyOf,
    );
    expect(incidents.map((i) => [i.id, i.alerts.map((a) => a.id), i.endsAt])).toEqual([
      [4, [4], null],
      [5, [5], 15 * MINUTE],
      [1, [1, 2, 3], 80 * MINUTE],
    ]);
  });

  it('the id is the first received alert, whatever starts first, so it never changes as alerts join', () => {
    const [incident] = groupIncidents([alert(9, 'a', 0, 10), alert(3, 'a', 5, 20)], keyOf);
    expect(incident?.id).toBe(3);
    expect(incident?.startsAt).toBe(0);
  });

  it('generated histories: every rule a grouping must obey (seeded)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { int, pick } = chooser(random(seed));
      const keys = ['a', 'b', 'c', 'none'];
      const alerts: Alert[] = [];
      const n = 1 + int(40);
      for (let id = 1; id <= n; id++) {
        const start = int(24 * 60);
        alerts.push(alert(id * 7 + int(5), pick(keys), start, int(6) === 0 ? null : start + int(120)));
      }
      const ids = new Set<number>();
      alerts.forEach((a) => {
        while (ids.has(a.id)) a.id++;
        ids.add(a.id);
      });
      const incidents = groupIncidents(alerts, keyOf);
      const context = `seed ${seed}`;

      // Every alert with a key is in exactly one incident; alerts without one are in none.
      const placed = incidents.flatMap((i) => i.alerts.map((a) => a.id)).sort((x, y) => x - y);
      const expected = alerts
        .filter((a) => a.key !== 'none')
        .map((a) => a.id)
        .sort((x, y) => x - y);
      expect(placed, context).toEqual(expected);

      for (const incident of incidents) {
        // One key per incident; the id is its smallest alert id; times are its alerts' extremes.
        expect(new Set(incident.alerts.map((a) => a.key)).size, context).toBe(1);
        expect(incident.id, context).toBe(Math.min(...incident.alerts.map((a) => a.id)));
        expect(incident.startsAt, context).toBe(Math.min(...incident.alerts.map((a) => a.startsAt)));
        const end = Math.max(...incident.alerts.map(alertEnd));
        expect(incident.endsAt, context).toBe(Number.isFinite(end) ? end : null);
        // Chained: each alert (by start) begins within the gap of what came before it.
        let reach = Number.NEGATIVE_INFINITY;
        for (const a of incident.alerts) {
          if (reach !== Number.NEGATIVE_INFINITY)
            expect(a.startsAt, context).toBeLessThanOrEqual(reach + REFIRE_GAP_MS);
          reach = Math.max(reach, alertEnd(a));
        }
      }
      // Incidents of one key never overlap or touch within the gap: otherwise they would be one.
      for (const key of keys) {
        const own = incidents.filter((i) => i.key.id === key).sort((x, y) => x.startsAt - y.startsAt);
        for (let i = 1; i < own.length; i++) {
          const previous = own[i - 1];
          const end = previous?.endsAt ?? Number.POSITIVE_INFINITY;
          expect(own[i]?.startsAt, context).toBeGreaterThan(end + REFIRE_GAP_MS);
        }
      }
      // Open first, then newest start first.
      const order = incidents.map((i) => [i.endsAt === null ? 0 : 1, -i.startsAt]);
      const sorted = [...order].sort(
        (x, y) => (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number),
      );
      expect(order, context).toEqual(sorted);
      // The same alerts in another order group the same way.
      const shuffled = [...alerts].reverse();
      expect(
        groupIncidents(shuffled, keyOf).map((i) => [i.id, i.alerts.length]),
        context,
      ).toEqual(incidents.map((i) => [i.id, i.alerts.length]));
    }
  });
});
