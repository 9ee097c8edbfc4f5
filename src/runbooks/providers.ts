import type { Tier } from '../policy/tiers.ts';
import type { Slo } from '../spec/model.ts';

/**
 * Hooks other parts of burnbook plug into the runbook pages. Each is optional: without it
 * the page says what is missing instead of showing nothing. They are read on every request,
 * so a plugin may set them on the server context after `buildApp`.
 */

/** One series of an instant query: its labels and its value. */
export interface LiveSample {
  labels: Record<string, string>;
  value: number;
}

/** A first-look query's current answer: the series a page shows, and how many more it left out. */
export interface LiveAnswer {
  samples: LiveSample[];
  omitted: number;
}

/**
 * Runs one first-look query against Prometheus now. Reject (or honour `signal`) to show
 * an error on the page; the page gives up after its own timeout either way.
 */
export type LiveValues = (expr: string, signal: AbortSignal) => Promise<LiveAnswer>;

/** One alert as the runbook page shows it: enough to see what fired, where and when. */
export interface AlertSummary {
  status: 'firing' | 'resolved';
  /** ISO 8601. */
  startsAt: string;
  /** ISO 8601; absent while firing. */
  endsAt?: string;
  labels: Record<string, string>;
  summary?: string;
  /** Site path of the alert's own page, e.g. `/alerts/42`. */
  path?: string;
}

/**
 * Alerts linked to the runbook page at `runbookPath` (`/runbooks/checkout/availability-fast-burn`:
 * the path of the alert's `runbook_url`), firing first, then most recent.
 */
export type AlertsFor = (runbookPath: string) => AlertSummary[] | Promise<AlertSummary[]>;

/** The SLO's dashboard, when one is known (e.g. a Grafana URL). */
export type DashboardUrl = (slo: Slo) => string | undefined;

/** A tier's state now, as its page opens with it; every text already formatted for people. */
export interface TierNow {
  state: 'firing' | 'pending' | 'burning' | 'quiet' | 'unknown';
  stateText: string;
  /** When it started firing (or pending), ISO; null when it is neither. */
  since: string | null;
  sinceLabel: string;
  sinceAgo: string;
  burnLong: string;
  burnShort: string;
  longRatio: string;
  goneIn: string;
  goneInNote: string;
  /** The group shown, for a groupBy SLO. */
  group: string | null;
}

/** The tier's live state from the evaluator; null without one. */
export type TierNowOf = (slo: Slo, tier: Tier) => TierNow | null;

export interface RunbookProviders {
  liveValues?: LiveValues;
  alertsFor?: AlertsFor;
  dashboardUrl?: DashboardUrl;
  tierNow?: TierNowOf;
}
