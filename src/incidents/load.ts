/**
 * Incidents from an alert store: the latest alerts, read page by page through AlertStore.list (no method of
 * its own, so every backend that passes the store contract has incidents), then grouped (group.ts).
 */
import type { LinkTargets } from '../alerts/link.ts';
import type { AlertListQuery, AlertRow, AlertStore } from '../alerts/store/store.ts';
import { groupIncidents, type Incident } from './group.ts';
import { incidentKeyOf } from './key.ts';

/**
 * Alerts read to build incidents, newest first: a bound on the work of one page. An incident whose alerts
 * reach past the oldest of them shows only its newer alerts.
 */
export const INCIDENT_ALERTS_READ = 5_000;
const PAGE = 1_000;

export type AlertReader = Pick<AlertStore, 'list' | 'get'>;

export interface IncidentFilter {
  service?: string;
  slo?: string;
}

async function latestAlerts(store: AlertReader, filter: AlertListQuery): Promise<AlertRow[]> {
  const rows: AlertRow[] = [];
  let before: AlertListQuery['before'];
  while (rows.length < INCIDENT_ALERTS_READ) {
    const page = await store.list({
      ...filter,
      limit: Math.min(PAGE, INCIDENT_ALERTS_READ - rows.length),
      ...(before ? { before } : {}),
    });
    rows.push(...page);
    const last = page.at(-1);
    if (!last || page.length < PAGE) break;
    before = { id: last.id, status: last.status, startsAt: last.startsAt };
  }
  return rows;
}

/** Incidents, open ones first, then newest first; only those of one service or SLO when filtered. */
export async function listIncidents(
  store: AlertReader,
  targets: LinkTargets,
  filter: IncidentFilter = {},
): Promise<Incident[]> {
  const query: AlertListQuery = {
    ...(filter.service ? { service: filter.service } : {}),
    ...(filter.slo ? { slo: filter.slo } : {}),
  };
  return groupIncidents(await latestAlerts(store, query), (alert) => incidentKeyOf(alert, targets));
}

/**
 * The incident holding the alert with store id `alertId` (an incident's id is one of its alerts'), or
 * undefined when there is no such alert or it forms no incident. Reads only the alerts that can share its key.
 */
export async function incidentOfAlert(
  store: AlertReader,
  targets: LinkTargets,
  alertId: number,
): Promise<Incident | undefined> {
  const alert = await store.get(alertId);
  if (!alert) return undefined;
  const key = incidentKeyOf(alert, targets);
  if (!key) return undefined;
  const query: AlertListQuery =
    key.kind === 'slo' ? { service: key.service, slo: key.slo } : { alertname: key.alertname };
  const incidents = groupIncidents(await latestAlerts(store, query), (row) => incidentKeyOf(row, targets));
  return incidents.find((incident) => incident.alerts.some((a) => a.id === alertId));
}
