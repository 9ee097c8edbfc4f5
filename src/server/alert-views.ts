/**
 * The alert history as pages and JSON: `/alerts`, `/alerts/:id`, `/api/v1/alerts`. Pure: rows from the
 * store in, documents out. Every value from an alert goes through mustache's escaping, and only http(s)
 * URLs (link.ts) ever become links.
 */

import { EVIDENCE_SERIES, evidenceResultSchema } from '../alerts/evidence.ts';
import { type AlertLink, httpUrl, type LinkTargets, linkAlert, runbookPathOf } from '../alerts/link.ts';
import type { AlertDetail, AlertEvent, AlertRow, TruncatedDelivery } from '../alerts/store/store.ts';
import { alertPath, incidentPath } from '../conventions/urls.ts';
import { type BurnEnd, evidenceAfterRecovery } from '../incidents/evidence-timing.ts';
import { humanDuration } from '../policy/duration.ts';
import { formatLabels } from '../runbooks/render.ts';
import { isoTime } from '../text/time.ts';
import type { AlertQuery } from './alert-query.ts';
import { page } from './layout.ts';
import type { Links } from './links.ts';
import type { Banner } from './live.ts';
import { renderView } from './views.ts';

function runbookView(link: AlertLink, links: Links) {
  const path = runbookPathOf(link);
  if (path !== undefined) {
    return { href: links.to(path), label: path.replace(/^\/runbooks\//, ''), external: false };
  }
  if (link.kind === 'external') return { href: link.url, label: link.url, external: true };
  return null;
}

/** The SLO an alert of burnbook's belongs to, and which of its alerts it is (a tier, or `sli-absent`). */
function sloOf(link: AlertLink) {
  if (link.kind === 'tier') return { slo: link.slo, sloPath: link.sloPath, alert: link.tier.name };
  if (link.kind === 'absent') return { slo: link.slo, sloPath: link.sloPath, alert: link.absent.name };
  return undefined;
}

function sloView(link: AlertLink, links: Links) {
  const own = sloOf(link);
  if (!own) return null;
  return { href: links.to(own.sloPath), label: `${own.slo.service}/${own.slo.name} · ${own.alert}` };
}

/** The alert's groupBy labels (`{tenant="acme"}`): which of the SLO's states is burning. */
function groupText(row: AlertRow, link: AlertLink): string | null {
  if ((link.kind !== 'tier' && link.kind !== 'absent') || link.slo.groupBy.length === 0) return null;
  const group = Object.fromEntries(link.slo.groupBy.map((name) => [name, row.labels[name] ?? '']));
  return formatLabels(group);
}

function timing(row: AlertRow, now: number) {
  return {
    startsAt: isoTime(row.startsAt),
    endsAt: row.status === 'resolved' && row.endsAt !== null ? isoTime(row.endsAt) : null,
    duration: humanDuration(
      Math.max(0, (row.status === 'resolved' ? (row.endsAt ?? now) : now) - row.startsAt),
    ),
  };
}

/**
 * The severity badge's class: a severity the SLOs' tiers use (a lowercase word, see policy/tiers.ts), or
 * `other`. The label's value is text from outside, and classes decide what a page looks like.
 */
export function severityClass(severity: string, targets: Pick<LinkTargets, 'slos'>): string {
  return targets.slos.some((slo) => slo.alerting.tiers.some((t) => t.severity === severity))
    ? severity
    : 'other';
}

// Mustache looks a missing key up in the enclosing context, so every optional value is a key set to null.
function rowView(row: AlertRow, targets: LinkTargets, links: Links, now: number) {
  const link = linkAlert(row, targets);
  return {
    status: row.status,
    href: links.to(alertPath(row.id)),
    alertname: row.alertname ?? '(no alertname)',
    // Every SLO named `availability` has the same alert names: the service tells them apart.
    service: row.labels.slo_service ?? null,
    summary: row.annotations.summary ?? null,
    severity:
      row.severity === null ? null : { name: row.severity, class: severityClass(row.severity, targets) },
    group: groupText(row, link),
    slo: sloView(link, links),
    runbook: runbookView(link, links),
    ...timing(row, now),
  };
}

function suggestions(targets: LinkTargets) {
  const unique = (values: string[]) => [...new Set(values)].sort();
  return {
    services: unique(targets.slos.map((s) => s.service)),
    slos: unique(targets.slos.map((s) => s.name)),
    severities: unique(targets.slos.flatMap((s) => s.alerting.tiers.map((t) => t.severity))),
  };
}

export interface AlertListPage {
  rows: AlertRow[];
  query: AlertQuery;
  /** Query string of the next page, when there is one. */
  next?: string;
  problems: string[];
  /** The latest deliveries Alertmanager left alerts out of. */
  truncated: TruncatedDelivery[];
  /** What keeps the store from writing, if anything (storeBanner). */
  banner: Banner | null;
  targets: LinkTargets;
  now: number;
}

/** Why webhooks are refused, above the alert pages: the store's own words (AlertStore.health). */
export function storeBanner(problem: string): Banner {
  return { kind: 'failed', title: 'The alert store is not healthy', detail: problem, since: null };
}

function truncatedView(delivery: TruncatedDelivery) {
  return {
    at: isoTime(delivery.receivedAt),
    group: formatLabels(delivery.groupLabels),
    receiver: delivery.receiver,
    status: delivery.status,
    alerts: delivery.alerts,
    truncated: delivery.truncatedAlerts,
  };
}

/** One truncated delivery in `/api/v1/alerts`. */
export function truncatedDeliveryJson(delivery: TruncatedDelivery) {
  return { ...delivery, receivedAt: isoTime(delivery.receivedAt) };
}

/** `/alerts` and `/alerts/:id` when the store cannot be read: the cause, and what to do. */
export function historyUnavailableDocument(message: string, links: Links): string {
  const body = renderView('alert-unavailable', {
    banner: { kind: 'failed', title: 'The alert history cannot be read', detail: message, since: null },
  });
  return page({ title: 'Alerts', body, links, nav: 'alerts', crumbs: [{ label: 'Alerts' }] });
}

export function alertListDocument(input: AlertListPage, links: Links): string {
  const { query, rows } = input;
  const view = (row: AlertRow) => rowView(row, input.targets, links, input.now);
  const filtered = ['status', 'service', 'slo', 'severity', 'alertname'].some(
    (key) => query[key as keyof AlertQuery] !== undefined,
  );
  const firing = rows.filter((r) => r.status === 'firing').map(view);
  const resolved = rows.filter((r) => r.status === 'resolved').map(view);
  // Later pages start past the firing alerts, so an empty "Firing now" there would say something false.
  const showFiring = firing.length > 0 || (query.before === undefined && query.status !== 'resolved');
  const action = links.to('/alerts');
  const body = renderView('alert-list', {
    action,
    api: links.to('/api/v1/alerts'),
    filters: { service: query.service ?? '', slo: query.slo ?? '', severity: query.severity ?? '' },
    statuses: [
      { value: '', label: 'any', selected: query.status === undefined },
      { value: 'firing', label: 'firing', selected: query.status === 'firing' },
      { value: 'resolved', label: 'resolved', selected: query.status === 'resolved' },
    ],
    suggestions: suggestions(input.targets),
    filtered,
    problems: input.problems,
    banner: input.banner,
    truncated: input.truncated.map(truncatedView),
    firing: showFiring ? { rows: firing } : null,
    history: resolved.length > 0 || query.status !== 'firing' ? { rows: resolved } : null,
    next: input.next === undefined ? null : `${action}?${input.next}`,
  });
  return page({ title: 'Alerts', body, links, nav: 'alerts', crumbs: [{ label: 'Alerts' }] });
}

const EVENT_TEXT: Record<AlertEvent['kind'], string> = {
  fired: 'started firing',
  resolved: 'resolved',
  refired: 'fired again',
};

/**
 * At most EVIDENCE_SERIES samples of a stored result: earlier burnbooks stored whole answers (200,000
 * series made an alert's page take 17 s), and such rows stay in the store until retention removes them.
 */
function shownPart(result: unknown): unknown {
  const samples = (result as { samples?: unknown } | null)?.samples;
  if (!Array.isArray(samples) || samples.length <= EVIDENCE_SERIES) return result;
  const omitted = (result as { omitted?: number }).omitted ?? 0;
  return {
    ...(result as object),
    samples: samples.slice(0, EVIDENCE_SERIES),
    omitted: omitted + samples.length - EVIDENCE_SERIES,
  };
}

function evidenceView(evidence: AlertDetail['evidence'][number], end: BurnEnd | null) {
  const parsed = evidenceResultSchema.safeParse(shownPart(evidence.result));
  const samples = parsed.success
    ? {
        rows: parsed.data.samples.map((s) => {
          const n = Number(s.value);
          return {
            labels: formatLabels(s.labels),
            value: Number.isFinite(n) ? String(Number(n.toPrecision(4))) : s.value,
          };
        }),
        warnings: parsed.data.warnings ?? [],
        omitted: parsed.data.omitted ?? null,
        kept: EVIDENCE_SERIES,
      }
    : null;
  return {
    title: evidence.queryName,
    expr: evidence.expr,
    capturedAt: isoTime(evidence.capturedAt),
    afterRecovery: evidenceAfterRecovery(evidence.capturedAt, end),
    error: evidence.error,
    samples,
    raw: parsed.success || evidence.result === null ? null : JSON.stringify(evidence.result, null, 2),
  };
}

/** Evidence captured after a resolved alert's end was captured after its burn ended too. */
function alertEnd(alert: AlertDetail): BurnEnd | null {
  return alert.status === 'resolved' && alert.endsAt !== null ? { atMs: alert.endsAt, by: 'alert' } : null;
}

function evidenceNote(alert: AlertDetail, link: AlertLink, prometheusConfigured: boolean): string | null {
  if (alert.evidence.length > 0) return null;
  if (!sloOf(link))
    return 'Evidence is captured for burnbook SLO alerts only: they come with first-look queries.';
  if (!prometheusConfigured)
    return 'No Prometheus configured: start serve with --prometheus-url to capture evidence.';
  return 'No evidence yet: the first-look queries run once when the alert starts firing.';
}

function entries(record: Record<string, string>) {
  return Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
}

export interface AlertPage {
  alert: AlertDetail;
  /** The incident the alert is part of, when it forms one. */
  incident?: { id: number; title: string };
  targets: LinkTargets;
  prometheusConfigured: boolean;
  banner: Banner | null;
  now: number;
}

export function alertDocument(input: AlertPage, links: Links): string {
  const { alert } = input;
  const link = linkAlert(alert, input.targets);
  const source = httpUrl(alert.generatorURL);
  const alertname = alert.alertname ?? '(no alertname)';
  const body = renderView('alert-detail', {
    ...rowView(alert, input.targets, links, input.now),
    moments: moments(alert, link),
    alertname,
    description: alert.annotations.description ?? null,
    fingerprint: alert.fingerprint,
    receiveCount: alert.receiveCount,
    firstReceivedAt: isoTime(alert.firstReceivedAt),
    lastReceivedAt: isoTime(alert.lastReceivedAt),
    unlinkedHint: `add a runbook_url annotation, or a runbook page named ${alertname}.md`,
    incident: input.incident
      ? {
          href: links.to(incidentPath(input.incident.id)),
          label: `#${input.incident.id} ${input.incident.title}`,
        }
      : null,
    source: source ? { href: source.href } : null,
    events: alert.events.map((e) => ({ at: isoTime(e.at), what: EVENT_TEXT[e.kind] })),
    evidence: alert.evidence.map((e) => evidenceView(e, alertEnd(alert))),
    evidenceNote: evidenceNote(alert, link, input.prometheusConfigured),
    labels: entries(alert.labels),
    annotations: entries(alert.annotations),
    banner: input.banner,
  });
  const service = alert.labels.slo_service;
  const named = service ? `${service} · ${alertname}` : alertname;
  const crumbs = [{ label: 'Alerts', path: '/alerts' }, { label: `${named} #${alert.id}` }];
  return page({ title: `${named} · alert ${alert.id}`, body, links, nav: 'alerts', crumbs });
}

/**
 * When the burn began, when the alert fired, when burnbook first had it: three different moments of one
 * incident. Prometheus sends `startsAt` as the moment the alert fired (its `for` over); a burnbook tier's
 * condition held for `for` before that, so the burn began then at the latest. The first delivery comes after
 * Alertmanager's group_wait, and later still when a notification failed.
 */
function moments(alert: AlertDetail, link: AlertLink) {
  const forMs = link.kind === 'tier' ? link.tier.forMs : link.kind === 'absent' ? link.absent.forMs : null;
  const delivery = alert.firstReceivedAt - alert.startsAt;
  return [
    ...(forMs
      ? [
          {
            label: link.kind === 'absent' ? 'Data stopped' : 'Burn began',
            at: isoTime(alert.startsAt - forMs),
            note: `by then at the latest: the condition held for ${humanDuration(forMs)} before it fired`,
          },
        ]
      : []),
    { label: 'Fired', at: isoTime(alert.startsAt), note: 'startsAt, as Prometheus sent it' },
    {
      label: 'First delivered',
      at: isoTime(alert.firstReceivedAt),
      note:
        delivery >= 0 ? `${humanDuration(delivery)} after it fired` : 'before its startsAt (clocks differ)',
    },
  ];
}

function runbookJson(link: AlertLink): { path: string } | { url: string } | null {
  const path = runbookPathOf(link);
  if (path !== undefined) return { path };
  return link.kind === 'external' ? { url: link.url } : null;
}

/** `tier` is the alert's `slo_tier`: a tier's name, or `sli-absent`. */
function sloJson(link: AlertLink) {
  const own = sloOf(link);
  return own ? { service: own.slo.service, slo: own.slo.name, tier: own.alert, path: own.sloPath } : null;
}

/** One alert in `/api/v1/alerts`: the stored row with readable times and where it links. */
export function alertJson(row: AlertRow, targets: LinkTargets) {
  const link = linkAlert(row, targets);
  return {
    id: row.id,
    path: alertPath(row.id),
    fingerprint: row.fingerprint,
    status: row.status,
    startsAt: isoTime(row.startsAt),
    endsAt: row.endsAt === null ? null : isoTime(row.endsAt),
    labels: row.labels,
    annotations: row.annotations,
    generatorURL: row.generatorURL,
    firstReceivedAt: isoTime(row.firstReceivedAt),
    lastReceivedAt: isoTime(row.lastReceivedAt),
    receiveCount: row.receiveCount,
    runbook: runbookJson(link),
    slo: sloJson(link),
  };
}
