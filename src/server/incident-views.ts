/**
 * `/incidents` and `/incidents/:id` as pages. Pure: incidents and reports in, documents out; every value from
 * outside goes through mustache's escaping (the chart's data too, as an attribute the browser decodes).
 */
import { alertPath, incidentPath, postmortemPath, sloPath } from '../conventions/urls.ts';
import type { Incident } from '../incidents/group.ts';
import { REFIRE_GAP_MS } from '../incidents/group.ts';
import { incidentTitle } from '../incidents/key.ts';
import { INCIDENT_ALERTS_READ, type IncidentFilter } from '../incidents/load.ts';
import { type IncidentReport, thresholdsOf } from '../incidents/report.ts';
import { alertTitle } from '../incidents/timeline.ts';
import { incidentView } from '../incidents/view.ts';
import { humanDuration } from '../policy/duration.ts';
import type { Slo } from '../spec/model.ts';
import { isoTime } from '../text/time.ts';
import { CHART_LIBRARY_MISSING } from './assets.ts';
import { type PageOptions, page } from './layout.ts';
import type { Links } from './links.ts';
import type { Banner } from './live.ts';
import { renderView } from './views.ts';

/** Alerts named per incident in the list; the page has all of them. */
const ALERTS_LISTED = 5;

export interface IncidentListPage {
  incidents: Incident[];
  filter: IncidentFilter;
  slos: readonly Slo[];
  banner: Banner | null;
  now: number;
}

const statusClass = (open: boolean) => (open ? 'firing' : 'resolved');

export function incidentListDocument(input: IncidentListPage, links: Links): string {
  const { filter } = input;
  const rows = input.incidents.map((incident) => {
    const open = incident.endsAt === null;
    return {
      id: incident.id,
      href: links.to(incidentPath(incident.id)),
      title: incidentTitle(incident.key),
      status: open ? 'open' : 'resolved',
      statusClass: statusClass(open),
      startedAt: isoTime(incident.startsAt),
      endedAt: open ? null : isoTime(incident.endsAt as number),
      duration: humanDuration(Math.max(0, (incident.endsAt ?? input.now) - incident.startsAt)),
      alerts: incident.alerts.slice(0, ALERTS_LISTED).map((alert) => ({
        href: links.to(alertPath(alert.id)),
        title: alertTitle(alert),
        status: alert.status,
      })),
      more: Math.max(0, incident.alerts.length - ALERTS_LISTED) || null,
    };
  });
  const unique = (values: string[]) => [...new Set(values)].sort();
  const action = links.to('/incidents');
  const body = renderView('incident-list', {
    action,
    filters: { service: filter.service ?? '', slo: filter.slo ?? '' },
    filtered: filter.service !== undefined || filter.slo !== undefined,
    suggestions: {
      services: unique(input.slos.map((s) => s.service)),
      slos: unique(input.slos.map((s) => s.name)),
    },
    rows,
    banner: input.banner,
    gap: humanDuration(REFIRE_GAP_MS),
    read: INCIDENT_ALERTS_READ,
  });
  return page({ title: 'Incidents', body, links, nav: 'incidents', crumbs: [{ label: 'Incidents' }] });
}

function chartOf(report: IncidentReport, chartsAvailable: boolean) {
  const { series, slo } = report;
  if (!series || !slo) return null;
  const data = JSON.stringify({
    window: series.window,
    timestamps: series.timestamps.map((t) => t / 1000),
    ratios: series.ratios,
    thresholds: thresholdsOf(slo),
  });
  const caption = chartsAvailable
    ? `Error ratio over ${series.window}, one point every ${humanDuration(series.stepMs)}, with each tier's threshold and the budget rate.`
    : CHART_LIBRARY_MISSING;
  return { data, caption };
}

export interface IncidentPage {
  report: IncidentReport;
  banner: Banner | null;
  /** The chart library and the page's chart script; absent when the library is not installed. */
  charts?: Pick<PageOptions, 'scripts' | 'scriptFiles' | 'styles'>;
}

export function incidentDocument(input: IncidentPage, links: Links): string {
  const view = incidentView(input.report);
  const href = (path: string | null) => (path === null ? null : (links.to(path) ?? null));
  const body = renderView('incident-detail', {
    ...view,
    statusClass: statusClass(view.open),
    postmortemHref: links.to(postmortemPath(view.id)),
    slo: view.slo && input.report.slo ? { ...view.slo, href: links.to(sloPath(input.report.slo)) } : null,
    timeline: view.timeline.map((entry) => ({ ...entry, href: href(entry.alertPath) })),
    alerts: view.alerts.map((alert) => ({ ...alert, href: href(alert.path) })),
    evidence: view.evidence.map((e) => ({ ...e, href: href(e.alertPath) })),
    chart: chartOf(input.report, input.charts !== undefined),
    banner: input.banner,
  });
  const crumbs = [{ label: 'Incidents', path: '/incidents' }, { label: `#${view.id}` }];
  return page({
    title: `Incident ${view.id} · ${view.title}`,
    body,
    links,
    nav: 'incidents',
    crumbs,
    ...input.charts,
  });
}
