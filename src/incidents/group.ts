/**
 * Alerts grouped into incidents, derived from the stored alert history on every read rather than kept in
 * tables of their own: a runbook or SLO edited today regroups last month's alerts too, and every alert store
 * backend gets incidents for free. Pure.
 *
 * The rule: alerts with the same incident key (one SLO and group, or one alertname) belong to one incident
 * when their firing overlaps, or when one starts within REFIRE_GAP_MS of the end of the others. An incident's
 * id is the smallest store id among its alerts (the first one received), so it stays the same as more alerts
 * join it, and any alert id leads to its incident.
 */
import type { AlertRow } from '../alerts/store/store.ts';

/**
 * A burn that stops and comes back within half an hour is the same incident: long enough for a tier to
 * resolve and a slower one, or a re-fire of the same one, to follow; short enough that the next day's burn
 * is a new one.
 */
export const REFIRE_GAP_MS = 30 * 60_000;

/** What alerts must share to be one incident: `id` compares, the rest is for people. */
export type IncidentKey =
  | { kind: 'slo'; id: string; service: string; slo: string; group: Record<string, string> }
  | { kind: 'alert'; id: string; alertname: string };

/** The times grouping reads of an alert; ms since the epoch. */
export type GroupedAlert = Pick<AlertRow, 'id' | 'status' | 'startsAt' | 'endsAt' | 'lastReceivedAt'>;

export interface Incident<A extends GroupedAlert = AlertRow> {
  id: number;
  key: IncidentKey;
  /** Oldest start first. */
  alerts: A[];
  /** The earliest alert start. */
  startsAt: number;
  /** The latest alert end; null while any alert fires. */
  endsAt: number | null;
}

/** When an alert stopped firing: its end, or its last receipt when Alertmanager gave none; +∞ while firing. */
export function alertEnd(alert: GroupedAlert): number {
  if (alert.status === 'firing') return Number.POSITIVE_INFINITY;
  return alert.endsAt ?? alert.lastReceivedAt;
}

/**
 * The incidents of `alerts`, newest start first, open ones (an alert still firing) on top. `keyOf` names
 * each alert's incident key, or undefined for an alert that forms no incident (one linked to nothing).
 */
export function groupIncidents<A extends GroupedAlert>(
  alerts: readonly A[],
  keyOf: (alert: A) => IncidentKey | undefined,
): Incident<A>[] {
  const byKey = new Map<string, { key: IncidentKey; alerts: A[] }>();
  for (const alert of alerts) {
    const key = keyOf(alert);
    if (!key) continue;
    const entry = byKey.get(key.id) ?? { key, alerts: [] };
    entry.alerts.push(alert);
    byKey.set(key.id, entry);
  }
  const incidents: Incident<A>[] = [];
  for (const { key, alerts: keyed } of byKey.values()) {
    const sorted = [...keyed].sort((a, b) => a.startsAt - b.startsAt || a.id - b.id);
    let current: { alerts: A[]; end: number } | undefined;
    for (const alert of sorted) {
      if (current && alert.startsAt <= current.end + REFIRE_GAP_MS) {
        current.alerts.push(alert);
        current.end = Math.max(current.end, alertEnd(alert));
        continue;
      }
      if (current) incidents.push(incidentOf(key, current.alerts, current.end));
      current = { alerts: [alert], end: alertEnd(alert) };
    }
    if (current) incidents.push(incidentOf(key, current.alerts, current.end));
  }
  return incidents.sort(
    (a, b) => Number(b.endsAt === null) - Number(a.endsAt === null) || b.startsAt - a.startsAt || b.id - a.id,
  );
}

function incidentOf<A extends GroupedAlert>(key: IncidentKey, alerts: A[], end: number): Incident<A> {
  return {
    id: Math.min(...alerts.map((a) => a.id)),
    key,
    alerts,
    startsAt: alerts[0]?.startsAt ?? 0,
    endsAt: Number.isFinite(end) ? end : null,
  };
}
