/**
 * Everything burnbook knows about one incident, gathered once for the incident page and the postmortem
 * draft: its alerts with their events and evidence (the store), the burn and its impact (Prometheus), the
 * silences that covered it (Alertmanager). A source that is not configured or does not answer leaves its
 * numbers out and says which and why in `unavailable`; nothing here throws for Prometheus or Alertmanager.
 */
import type { LinkTargets } from '../alerts/link.ts';
import type { AlertDetail } from '../alerts/store/store.ts';
import type { AlertmanagerClient, Silence } from '../evaluator/alertmanager-client.ts';
import { errorBudget, tierFacts } from '../policy/burn.ts';
import type { PrometheusClient } from '../prometheus/client.ts';
import type { Slo } from '../spec/model.ts';
import type { Incident } from './group.ts';
import { incidentTitle } from './key.ts';
import type { AlertReader } from './load.ts';
import {
  eventsBetween,
  type Fact,
  fact,
  groupsHit,
  periodEvents,
  type RatioSeries,
  ratioSeries,
} from './measure.ts';
import { silencesCovering } from './silences.ts';
import { type Burn, burnOf, detection, type TimelineEntry, timelineOf, wentPoorly } from './timeline.ts';

/** Alerts of one incident read whole (events, evidence): a flapping alert's hundredth re-fire adds nothing. */
export const ALERTS_DETAILED = 50;
/** Prometheus history kept around an incident: after its end, to see the ratio settle. */
const TAIL_MS = 60 * 60_000;
/** At most this far back before the first alert for the burn's start: a day covers every default tier but very-slow. */
const MAX_LOOKBACK_MS = 24 * 60 * 60_000;

export interface IncidentSources {
  store: AlertReader;
  targets: LinkTargets;
  prometheus?: Pick<PrometheusClient, 'query' | 'queryRange'>;
  alertmanager?: Pick<AlertmanagerClient, 'silences'>;
  now: number;
}

export interface Impact {
  failed: number;
  total: number;
  /** Failed events over the period's budget in events (budget × the period's events), 0.04 = 4%. */
  budgetShare: number | null;
  /** The period's budget left after the incident, a ratio (1 = untouched, below 0 = overspent). */
  budgetLeft: number | null;
  /** [start, end] the counts cover, ms. */
  fromMs: number;
  toMs: number;
}

export interface IncidentReport {
  incident: Incident;
  title: string;
  slo: Slo | undefined;
  /** Alerts read whole, oldest first; `incident.alerts` has all of them. */
  alerts: AlertDetail[];
  /** The error ratio across the incident, when an SLO's and Prometheus answered. */
  series: RatioSeries | null;
  /** The budget rate: the error ratio that spends the budget exactly over the period. */
  budget: number | null;
  burn: Burn | null;
  impact: Impact | null;
  groupsHit: Array<{ labels: Record<string, string>; ratio: number }> | null;
  silences: Silence[];
  timeline: TimelineEntry[];
  detectedAtMs: number | null;
  /** Whether the first alert people got was a page. */
  paged: boolean;
  timeToDetectMs: number | null;
  /** From the burn's start (or the first alert) to the last alert's end; null while open. */
  timeToResolveMs: number | null;
  wentPoorly: string[];
  /** What burnbook could not get, each with why: `burn start and impact: Prometheus at … is unreachable`. */
  unavailable: string[];
  generatedAtMs: number;
}

function lookbackOf(slo: Slo, alerts: readonly AlertDetail[]): number {
  const fired = slo.alerting.tiers.filter((t) => alerts.some((a) => a.sloTier === t.name));
  const longest = Math.max(...(fired.length ? fired : slo.alerting.tiers).map((t) => t.longMs));
  return Math.min(longest, MAX_LOOKBACK_MS);
}

async function readAlerts(store: AlertReader, incident: Incident): Promise<AlertDetail[]> {
  const details = await Promise.all(incident.alerts.slice(0, ALERTS_DETAILED).map((a) => store.get(a.id)));
  return details.filter((d): d is AlertDetail => d !== undefined);
}

/** The report of one incident. Rejects only when the store cannot be read. */
export async function incidentReport(incident: Incident, sources: IncidentSources): Promise<IncidentReport> {
  const { now } = sources;
  const alerts = await readAlerts(sources.store, incident);
  const key = incident.key;
  const slo =
    key.kind === 'slo'
      ? sources.targets.slos.find((s) => s.service === key.service && s.name === key.slo)
      : undefined;
  const unavailable: string[] = [];

  // Asked while Prometheus is: the two waits overlap.
  const silencesAsked = sources.alertmanager
    ? fact(() => (sources.alertmanager as NonNullable<IncidentSources['alertmanager']>).silences())
    : Promise.resolve(null);
  const budget = slo ? errorBudget(slo.objective) : null;
  const detected = detection(alerts);
  let series: RatioSeries | null = null;
  let burn: Burn | null = null;
  let impact: Impact | null = null;
  let groups: IncidentReport['groupsHit'] = null;
  let spentBeforePage: number | null = null;

  if (slo && budget !== null && !sources.prometheus) {
    unavailable.push('burn start, recovery and impact: no Prometheus configured (--prometheus-url)');
  }
  if (slo && budget !== null && sources.prometheus) {
    const prometheus = sources.prometheus;
    const group = key.kind === 'slo' ? key.group : {};
    const rangeEnd = Math.min(now, (incident.endsAt ?? now) + TAIL_MS);
    const read = await fact(() =>
      ratioSeries(prometheus, slo, group, incident.startsAt - lookbackOf(slo, alerts), rangeEnd),
    );
    if (!read.ok) {
      // One answer is enough to know: asking again would only wait for the same timeout.
      unavailable.push(`burn start, recovery and impact: ${read.problem}`);
    } else {
      series = read.value;
      burn = burnOf(series, budget, incident.startsAt);
      const fromMs = burn.startMs === null ? incident.startsAt : burn.startMs - series.stepMs;
      const toMs = burn.recoveredMs ?? incident.endsAt ?? now;
      const [counts, period, hit, beforePage] = await Promise.all([
        fact(() => eventsBetween(prometheus, slo, group, fromMs, toMs)),
        fact(() => periodEvents(prometheus, slo, group, toMs)),
        slo.groupBy.length ? fact(() => groupsHit(prometheus, slo, fromMs, toMs)) : null,
        detected?.paged && detected.atMs > fromMs
          ? fact(() => eventsBetween(prometheus, slo, group, fromMs, detected.atMs))
          : null,
      ]);
      const budgetEvents = period.ok ? budget * period.value.total : 0;
      if (counts.ok) {
        impact = {
          ...counts.value,
          budgetShare: budgetEvents > 0 ? counts.value.failed / budgetEvents : null,
          budgetLeft: period.ok && budgetEvents > 0 ? 1 - period.value.failed / budgetEvents : null,
          fromMs,
          toMs,
        };
      } else unavailable.push(`failed and total events: ${counts.problem}`);
      if (!period.ok) unavailable.push(`budget share and budget left: ${period.problem}`);
      if (hit?.ok) groups = hit.value;
      else if (hit) unavailable.push(`groups hit: ${hit.problem}`);
      if (beforePage?.ok && budgetEvents > 0) spentBeforePage = beforePage.value.failed / budgetEvents;
      if (burn.startMs === null)
        unavailable.push('burn start: the error ratio never rose above the budget rate in Prometheus');
    }
  }

  const silencesRead: Fact<Silence[]> | null = await silencesAsked;
  if (silencesRead && !silencesRead.ok) unavailable.push(`silences: ${silencesRead.problem}`);
  const silences = silencesRead?.ok
    ? silencesCovering(silencesRead.value, alerts, incident.startsAt, incident.endsAt)
    : [];

  const startMs = burn?.startMs ?? incident.startsAt;
  const timeToDetectMs = detected && burn?.startMs != null ? Math.max(0, detected.atMs - burn.startMs) : null;
  return {
    incident,
    title: incidentTitle(incident.key),
    slo,
    alerts,
    series,
    budget,
    burn,
    impact,
    groupsHit: groups,
    silences,
    timeline: timelineOf(alerts, burn, silences, budget, detected),
    detectedAtMs: detected?.atMs ?? null,
    paged: detected?.paged ?? false,
    timeToDetectMs,
    timeToResolveMs: incident.endsAt === null ? null : incident.endsAt - startMs,
    wentPoorly: slo ? wentPoorly({ slo, alerts, burn, detection: detected, spentBeforePage }) : [],
    unavailable,
    generatedAtMs: now,
  };
}

/** The thresholds a chart draws: each tier's, and the budget rate. */
export function thresholdsOf(slo: Slo): Array<{ label: string; ratio: number }> {
  return [
    ...slo.alerting.tiers.map((tier) => {
      const facts = tierFacts(tier, slo.periodMs, slo.objective);
      return { label: `${tier.name} fires above ${facts.threshold}`, ratio: facts.threshold };
    }),
    { label: `budget rate ${errorBudget(slo.objective)}`, ratio: errorBudget(slo.objective) },
  ];
}
