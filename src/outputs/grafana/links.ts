import { OVERVIEW_UID, serviceDashboardUid } from '../../conventions/dashboards.ts';
import type { Slo } from '../../spec/model.ts';
import type { AlertOptions } from '../rules/alerting.ts';

/** Titles and URLs of the dashboards and of burnbook's own pages, shared by dashboards and alerts. */

export const OVERVIEW_TITLE = 'SLO overview';

export function serviceDashboardTitle(service: string): string {
  return `SLOs of ${service}`;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

// Cosmetic: Grafana finds a dashboard by uid and redirects a stale slug to the current one.
function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function dashboardPath(uid: string, title: string): string {
  return `/d/${uid}/${slug(title)}`;
}

export const OVERVIEW_PATH = dashboardPath(OVERVIEW_UID, OVERVIEW_TITLE);

export function serviceDashboardPath(service: string): string {
  return dashboardPath(serviceDashboardUid(service), serviceDashboardTitle(service));
}

/**
 * The SLO's dashboard in Grafana. `groupValue` fills the groupBy variables (named after their
 * labels), so the link in one tenant's alert opens that tenant: alerts pass Prometheus template
 * actions such as `{{ $labels.tenant }}` here.
 */
export function sloDashboardUrl(
  grafanaUrl: string,
  slo: Slo,
  groupValue?: (label: string) => string,
): string {
  const vars = groupValue ? slo.groupBy.map((label) => `var-${label}=${groupValue(label)}`) : [];
  return `${withoutTrailingSlash(grafanaUrl)}${serviceDashboardPath(slo.service)}${vars.length ? `?${vars.join('&')}` : ''}`;
}

/**
 * What `--grafana-url` adds to every alert, from the rules and from the evaluator alike: a
 * `dashboard_url` opening the SLO's dashboard on the alert's group.
 */
export function grafanaAlertOptions(grafanaUrl: string): Pick<AlertOptions, 'dashboardUrl'> {
  return { dashboardUrl: (slo, values) => sloDashboardUrl(grafanaUrl, slo, values.label) };
}

/** burnbook's page for one SLO; `/slos/:service/:slo` on the server. */
export function sloPageUrl(externalUrl: string, slo: Pick<Slo, 'service' | 'name'>): string {
  return `${withoutTrailingSlash(externalUrl)}/slos/${slo.service}/${slo.name}`;
}
