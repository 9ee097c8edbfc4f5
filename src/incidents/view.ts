/**
 * An incident report as text for people: times in UTC ISO 8601, durations, counts and shares rounded. One
 * view for the incident page and the postmortem draft, so both say the same numbers the same way. Pure.
 */
import { EVIDENCE_SERIES, evidenceResultSchema } from '../alerts/evidence.ts';
import { alertPath, incidentPath } from '../conventions/urls.ts';
import { formatDuration, humanDuration } from '../policy/duration.ts';
import { formatNumber, formatPercent } from '../policy/number.ts';
import { formatLabels } from '../runbooks/render.ts';
import { isoTime } from '../text/time.ts';
import { evidenceAfterRecovery } from './evidence-timing.ts';
import type { IncidentReport } from './report.ts';
import { alertTitle } from './timeline.ts';

const share = (ratio: number) => formatPercent(Number(ratio.toPrecision(3)));
const ratioText = (ratio: number) => formatNumber(ratio, 3);
/** A stored sample value with four significant digits, as the alert page shows it; NaN and ±Inf as they are. */
function readableValue(value: string): string {
  const n = Number(value);
  return Number.isFinite(n) ? String(Number(n.toPrecision(4))) : value;
}

/** Evidence rows a draft or page shows per query; the alert page has all of them. */
const EVIDENCE_ROWS = 10;

function evidenceOf(report: IncidentReport) {
  const recovered = report.burn?.recoveredMs ?? null;
  const burnEnd = recovered === null ? null : ({ atMs: recovered, by: 'burn' } as const);
  return report.alerts.flatMap((alert) =>
    alert.evidence.map((evidence) => {
      const parsed = evidenceResultSchema.safeParse(evidence.result);
      const samples = parsed.success
        ? parsed.data.samples.slice(0, Math.min(EVIDENCE_ROWS, EVIDENCE_SERIES))
        : [];
      return {
        alert: alertTitle(alert),
        alertPath: alertPath(alert.id),
        title: evidence.queryName,
        expr: evidence.expr,
        capturedAt: isoTime(evidence.capturedAt),
        afterRecovery: evidenceAfterRecovery(evidence.capturedAt, burnEnd),
        error: evidence.error,
        rows: samples.map((s) => ({ labels: formatLabels(s.labels), value: readableValue(s.value) })),
        more:
          parsed.success && parsed.data.samples.length > samples.length
            ? parsed.data.samples.length - samples.length
            : null,
      };
    }),
  );
}

export function incidentView(report: IncidentReport) {
  const { incident, slo, burn, impact } = report;
  const group =
    incident.key.kind === 'slo' && Object.keys(incident.key.group).length
      ? formatLabels(incident.key.group)
      : null;
  return {
    id: incident.id,
    path: incidentPath(incident.id),
    title: report.title,
    open: incident.endsAt === null,
    status: incident.endsAt === null ? 'open' : 'resolved',
    startedAt: isoTime(incident.startsAt),
    endedAt: incident.endsAt === null ? null : isoTime(incident.endsAt),
    generatedAt: isoTime(report.generatedAtMs),
    slo: slo
      ? {
          service: slo.service,
          name: slo.name,
          objective: `${slo.objective}%`,
          period: formatDuration(slo.periodMs),
          description: slo.description || null,
        }
      : null,
    group,
    budgetRate: report.budget === null ? null : formatNumber(report.budget),
    burnStart: burn?.startMs == null ? null : isoTime(burn.startMs),
    recovered: burn?.recoveredMs == null ? null : isoTime(burn.recoveredMs),
    detectedAt: report.detectedAtMs === null ? null : isoTime(report.detectedAtMs),
    detectedBy: report.paged ? 'the first page' : 'the first alert (no page fired)',
    timeToDetect: report.timeToDetectMs === null ? null : humanDuration(report.timeToDetectMs),
    timeToResolve: report.timeToResolveMs === null ? null : humanDuration(report.timeToResolveMs),
    impact: impact
      ? {
          failed: String(Math.round(impact.failed)),
          total: String(Math.round(impact.total)),
          errorRatio: impact.total > 0 ? ratioText(impact.failed / impact.total) : null,
          budgetShare: impact.budgetShare === null ? null : share(impact.budgetShare),
          budgetLeft: impact.budgetLeft === null ? null : share(impact.budgetLeft),
          from: isoTime(impact.fromMs),
          to: isoTime(impact.toMs),
        }
      : null,
    peak: burn?.peak ? { ratio: ratioText(burn.peak.ratio), at: isoTime(burn.peak.atMs) } : null,
    groupsHit:
      report.groupsHit?.map((g) => ({ labels: formatLabels(g.labels), ratio: ratioText(g.ratio) })) ?? null,
    timeline: report.timeline.map((entry) => ({
      at: isoTime(entry.atMs),
      what: entry.what,
      alertPath: entry.alertId === undefined ? null : alertPath(entry.alertId),
    })),
    alerts: incident.alerts.map((alert) => ({
      id: alert.id,
      path: alertPath(alert.id),
      title: alertTitle(alert),
      alertname: alert.alertname ?? '(no alertname)',
      status: alert.status,
      startsAt: isoTime(alert.startsAt),
      endsAt: alert.status === 'resolved' && alert.endsAt !== null ? isoTime(alert.endsAt) : null,
    })),
    alertsLeftOut: Math.max(0, incident.alerts.length - report.alerts.length) || null,
    silences: report.silences.map((s) => ({
      id: s.id,
      from: isoTime(s.startsAt),
      to: isoTime(s.endsAt),
      createdBy: s.createdBy,
      comment: s.comment,
      matchers: s.matchers
        .map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}${JSON.stringify(m.value)}`)
        .join(', '),
    })),
    evidence: evidenceOf(report),
    wentPoorly: report.wentPoorly,
    unavailable: report.unavailable,
  };
}

export type IncidentView = ReturnType<typeof incidentView>;
