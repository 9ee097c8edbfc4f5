/**
 * The story of an incident from its facts, pure: when the burn started and ended (from the error ratio),
 * the order things happened in, how long detection and resolution took, and what went poorly that burnbook
 * can tell by itself (the SRE Workbook's "Alerting on SLOs": a tier exists to page by a share of the budget).
 */
import type { AlertDetail } from '../alerts/store/store.ts';
import type { Silence } from '../evaluator/alertmanager-client.ts';
import { timeToDetectMs } from '../policy/burn.ts';
import { humanDuration } from '../policy/duration.ts';
import { formatNumber, formatPercent } from '../policy/number.ts';
import type { Tier } from '../policy/tiers.ts';
import type { Slo } from '../spec/model.ts';
import type { RatioSeries } from './measure.ts';

/** The severity that wakes people: the default tiers' fast and slow tiers page, very-slow tickets. */
export const PAGE_SEVERITY = 'page';

export interface Burn {
  /** The first point of the run above the budget rate that led to the first alert; null when none was seen. */
  startMs: number | null;
  /** The first point back under the budget rate after the last point above it; null while it still burns. */
  recoveredMs: number | null;
  /** The highest error ratio from the start to the recovery. */
  peak: { ratio: number; atMs: number } | null;
}

/**
 * Reads the burn off the short-window error ratio: anchored at `anchorMs` (the first alert's start), it
 * takes the run above `budget` (the error ratio that spends the budget exactly over the period: burn rate 1)
 * ending at or after the anchor, walks back to where it began, and forward to the last point above it.
 */
export function burnOf(
  series: Pick<RatioSeries, 'timestamps' | 'ratios'>,
  budget: number,
  anchorMs: number,
): Burn {
  const { timestamps: t, ratios: r } = series;
  const above = (i: number) => (r[i] ?? null) !== null && (r[i] as number) > budget;
  let anchor = -1;
  for (let i = 0; i < t.length && (t[i] as number) <= anchorMs; i++) anchor = i;
  let hit = -1;
  for (let i = Math.max(anchor, 0); i >= 0 && hit < 0; i--) if (above(i)) hit = i;
  for (let i = anchor + 1; i < t.length && hit < 0; i++) if (above(i)) hit = i;
  if (hit < 0) return { startMs: null, recoveredMs: null, peak: null };
  let first = hit;
  while (first > 0 && above(first - 1)) first--;
  let last = hit;
  for (let i = hit; i < t.length; i++) if (above(i)) last = i;
  let peak: Burn['peak'] = null;
  for (let i = first; i <= last; i++) {
    const ratio = r[i];
    if (ratio !== null && ratio !== undefined && (!peak || ratio > peak.ratio))
      peak = { ratio, atMs: t[i] as number };
  }
  const after = last + 1 < t.length && r[last + 1] !== null ? (t[last + 1] as number) : null;
  return { startMs: t[first] as number, recoveredMs: after, peak };
}

export type TimelineKind =
  | 'burn-start'
  | 'fired'
  | 'notified'
  | 'refired'
  | 'resolved'
  | 'silenced'
  | 'unsilenced'
  | 'recovered';

export interface TimelineEntry {
  atMs: number;
  kind: TimelineKind;
  /** For people: `fast tier (page) started firing`. */
  what: string;
  /** The store id of the alert the entry is about. */
  alertId?: number;
}

/** What an alert is called in a timeline: its tier and severity, or its alertname. */
export function alertTitle(alert: Pick<AlertDetail, 'sloTier' | 'alertname' | 'severity'>): string {
  const name = alert.sloTier ? `${alert.sloTier} tier` : (alert.alertname ?? '(no alertname)');
  return alert.severity ? `${name} (${alert.severity})` : name;
}

const EVENT_KIND = { fired: 'fired', refired: 'refired', resolved: 'resolved' } as const;
const EVENT_TEXT = { fired: 'started', refired: 'fired again', resolved: 'resolved' } as const;

/**
 * When an event happened at its source: an alert starts at its `startsAt` and ends at its `endsAt` (what
 * Prometheus says); a re-fire, or a resolve the alert has since come back from, only has its receipt time.
 */
function sourceTime(alert: AlertDetail, event: AlertDetail['events'][number], lastResolve: boolean): number {
  if (event.kind === 'fired') return alert.startsAt;
  if (lastResolve && alert.status === 'resolved' && alert.endsAt !== null) return alert.endsAt;
  return event.at;
}

/** Everything that happened, in order; at equal times in the order burns unfold. */
export function timelineOf(
  alerts: readonly AlertDetail[],
  burn: Burn | null,
  silences: readonly Silence[],
  budget: number | null,
  detected: Detection | null = null,
): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const rate = budget === null ? '' : ` (${formatNumber(budget)})`;
  if (burn?.startMs != null) {
    entries.push({
      atMs: burn.startMs,
      kind: 'burn-start',
      what: `error ratio rose above the budget rate${rate}`,
    });
  }
  for (const alert of alerts) {
    // An alert stored before its first event was written has none: its start stands in.
    const events = alert.events.length ? alert.events : [{ kind: 'fired' as const, at: alert.startsAt }];
    const lastResolve = events.map((e) => e.kind).lastIndexOf('resolved');
    events.forEach((event, i) => {
      entries.push({
        atMs: sourceTime(alert, event, i === lastResolve),
        kind: EVENT_KIND[event.kind],
        what: `${alertTitle(alert)} ${EVENT_TEXT[event.kind]}`,
        alertId: alert.id,
      });
    });
  }
  if (detected) {
    entries.push({
      atMs: detected.atMs,
      kind: 'notified',
      what: `burnbook received the first ${detected.paged ? 'page' : 'alert'}: ${alertTitle(detected.alert)}`,
      alertId: detected.alert.id,
    });
  }
  for (const silence of silences) {
    const by = silence.createdBy ? ` by ${silence.createdBy}` : '';
    const why = silence.comment ? `: ${silence.comment}` : '';
    entries.push({
      atMs: silence.startsAt,
      kind: 'silenced',
      what: `silence ${silence.id} started${by}${why}`,
    });
    entries.push({ atMs: silence.endsAt, kind: 'unsilenced', what: `silence ${silence.id} ended` });
  }
  if (burn?.recoveredMs != null) {
    entries.push({
      atMs: burn.recoveredMs,
      kind: 'recovered',
      what: `error ratio back under the budget rate${rate}`,
    });
  }
  const order: TimelineKind[] = [
    'burn-start',
    'fired',
    'notified',
    'refired',
    'silenced',
    'unsilenced',
    'resolved',
    'recovered',
  ];
  return entries.sort((a, b) => a.atMs - b.atMs || order.indexOf(a.kind) - order.indexOf(b.kind));
}

export interface Detection {
  /** When burnbook received it: Alertmanager notified its receivers then. */
  atMs: number;
  alert: AlertDetail;
  paged: boolean;
}

/** When people were told: the first page's receipt, else the first alert's; null without alerts. */
export function detection(alerts: readonly AlertDetail[]): Detection | null {
  const firstFired = (a: AlertDetail) => a.events.find((e) => e.kind !== 'resolved')?.at ?? a.firstReceivedAt;
  const byTime = [...alerts].sort((a, b) => firstFired(a) - firstFired(b));
  const page = byTime.find((a) => a.severity === PAGE_SEVERITY);
  const first = page ?? byTime[0];
  return first ? { atMs: firstFired(first), alert: first, paged: page !== undefined } : null;
}

export interface PoorlyInput {
  slo: Slo;
  alerts: readonly AlertDetail[];
  burn: Burn | null;
  detection: Detection | null;
  /** Share of the period's error budget spent from the burn's start to the first page (0.02 = 2%). */
  spentBeforePage: number | null;
}

function tierOf(slo: Slo, alert: AlertDetail | undefined): Tier | undefined {
  return slo.alerting.tiers.find((t) => t.name === alert?.sloTier);
}

/** What went poorly, as burnbook can tell from the numbers; people add the rest. */
export function wentPoorly(input: PoorlyInput): string[] {
  const { slo, burn, detection: detected } = input;
  const poorly: string[] = [];
  if (detected && !detected.paged) {
    const fired = [...new Set(input.alerts.map((a) => alertTitle(a)))].join(', ');
    poorly.push(`A slower tier fired (${fired}) but no page did: nobody was woken for this burn.`);
  }
  const tier = detected?.paged ? tierOf(slo, detected.alert) : undefined;
  if (detected?.paged && burn?.startMs != null && burn.peak && tier) {
    const took = detected.atMs - burn.startMs;
    const expected = timeToDetectMs(tier, slo.periodMs, slo.objective, burn.peak.ratio) + tier.forMs;
    if (Number.isFinite(expected) && took > 2 * expected && took - expected > 60_000) {
      poorly.push(
        `Detected only after ${humanDuration(took)}: at the peak error ratio (${formatNumber(burn.peak.ratio, 3)}) ` +
          `the ${tier.name} tier should page within ${humanDuration(expected)}.`,
      );
    }
  }
  if (tier && input.spentBeforePage !== null && input.spentBeforePage > tier.budgetPercent / 100) {
    poorly.push(
      `The page fired after ${formatPercent(Number(input.spentBeforePage.toPrecision(3)))} of the period's error budget ` +
        `was spent; the ${tier.name} tier is meant to page by ${tier.budgetPercent}%.`,
    );
  }
  return poorly;
}
