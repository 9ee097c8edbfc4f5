import { createHash } from 'node:crypto';
import type { Slo } from '../spec/model.ts';
import { baseUrl } from './urls.ts';

// Grafana rejects dashboard uids longer than 40 characters or with anything but these.
const MAX_LENGTH = 40;
const INVALID = /[^a-zA-Z0-9_-]/;
const HASH_LENGTH = 10;

/**
 * A dashboard uid that is a pure function of names, so links, bookmarks and `dashboard_url`
 * annotations survive every regeneration. It is the names themselves when they fit; otherwise
 * their start plus a hash of all of them, which keeps it unique.
 */
export function stableUid(...parts: string[]): string {
  const readable = parts.join('-');
  if (readable.length <= MAX_LENGTH && !INVALID.test(readable)) return readable;
  const hash = createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, HASH_LENGTH);
  const start = readable.replace(new RegExp(INVALID, 'g'), '_').slice(0, MAX_LENGTH - HASH_LENGTH - 1);
  return `${start}-${hash}`;
}

// The `svc` part keeps a service named `overview` from taking the overview's uid.
export const OVERVIEW_UID = stableUid('burnbook', 'overview');

export function serviceDashboardUid(service: string): string {
  return stableUid('burnbook', 'svc', service);
}

export const OVERVIEW_TITLE = 'SLO overview';

export function serviceDashboardTitle(service: string): string {
  return `SLOs of ${service}`;
}

/** Where a dashboard is written under the Grafana output directory: named by uid, so no two collide. */
export function dashboardFileName(uid: string): string {
  return `dashboards/${uid}.json`;
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

/** Dashboard URLs under the Grafana that serves them (`--grafana-url`). */
export class GrafanaUrls {
  readonly base: string;

  constructor(grafanaUrl: string) {
    this.base = baseUrl(grafanaUrl);
  }

  /**
   * The SLO's dashboard. `groupValue` fills the groupBy variables (named after their labels), so the
   * link in one tenant's alert opens that tenant: alerts pass Prometheus template actions such as
   * `{{ $labels.tenant }}` here.
   */
  sloDashboard(slo: Pick<Slo, 'service' | 'groupBy'>, groupValue?: (label: string) => string): string {
    const vars = groupValue ? slo.groupBy.map((label) => `var-${label}=${groupValue(label)}`) : [];
    return `${this.base}${serviceDashboardPath(slo.service)}${vars.length ? `?${vars.join('&')}` : ''}`;
  }
}
