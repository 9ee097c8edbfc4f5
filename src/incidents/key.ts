import { type AlertLink, type LinkableAlert, type LinkTargets, linkAlert } from '../alerts/link.ts';
import { formatLabels } from '../runbooks/render.ts';
import type { IncidentKey } from './group.ts';

/**
 * Which incident an alert belongs to, from its link (alerts/link.ts): a burn tier's alert by its SLO and the
 * values of the SLO's groupBy labels (every tier of one burn, as the Alertmanager snippet groups them); the
 * absent-SLI alert and any other alert linked to a runbook by its alertname (no data is not a burn, and
 * Alertmanager's group labels are not stored with an alert). Alerts linked to nothing form no incident.
 */
export function incidentKeyOf(
  alert: LinkableAlert,
  targets: LinkTargets,
  link: AlertLink = linkAlert(alert, targets),
): IncidentKey | undefined {
  if (link.kind === 'tier') {
    const { slo } = link;
    const group = Object.fromEntries(slo.groupBy.map((name) => [name, alert.labels[name] ?? '']));
    const id = JSON.stringify(['slo', slo.service, slo.name, group]);
    return { kind: 'slo', id, service: slo.service, slo: slo.name, group };
  }
  const alertname = alert.labels.alertname ?? '';
  if (link.kind === 'none' || alertname === '') return undefined;
  return { kind: 'alert', id: JSON.stringify(['alert', alertname]), alertname };
}

/** `checkout/availability {tenant="acme"}` or the alertname: an incident's name for people. */
export function incidentTitle(key: IncidentKey): string {
  if (key.kind === 'alert') return key.alertname;
  const group = Object.keys(key.group).length ? ` ${formatLabels(key.group)}` : '';
  return `${key.service}/${key.slo}${group}`;
}
