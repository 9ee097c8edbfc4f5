/**
 * What an evaluation says about each SLO: the shape `status --json`, `/api/v1/slos` and the
 * pages share. Ratios are ratios (0.005), burn rates are multiples of the error budget, windows
 * are keyed as Prometheus writes them (`5m`, `1h`, `30d`). `null` means "not known": no data,
 * or the query that would have told failed. JSON has no Infinity, so a time to exhaustion of
 * "never at this rate" is `null` as well; `burnRates` tells the two apart.
 */

/** Where a window's numbers came from: burnbook's recording rules, or the raw SLI series. */
export type Source = 'rules' | 'raw';

/** Alert state with `for`, as Prometheus keeps it; `resolved` lasts a while so the end is re-sent. */
export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface TierStatus {
  tier: string;
  severity: string;
  alertname: string;
  factor: number;
  /** The error ratio both windows must exceed, as the generated rule writes it. */
  threshold: number;
  longWindow: string;
  shortWindow: string;
  for: string;
  longErrorRatio: number | null;
  shortErrorRatio: number | null;
  /** Events in the long window; only for SLOs with `minEvents`. */
  longWindowEvents?: number | null;
  /** The rule's condition holds right now; null when a value it needs is unknown. */
  burning: boolean | null;
  /**
   * `status` has no memory, so there it is `burning === true`; the server's evaluator applies
   * the tier's `for` and sets it once the condition has held that long.
   */
  firing: boolean;
  /** Only from the server's evaluator. */
  state?: AlertState;
  /** When the condition started holding (ISO 8601); only from the server's evaluator. */
  activeAt?: string;
}

export interface GroupStatus {
  /** The groupBy labels' values; `{}` for an SLO without groupBy. */
  labels: Record<string, string>;
  /** 1 − period error ratio ÷ budget: 1 is untouched, 0 spent, below 0 overspent. */
  budgetRemaining: number | null;
  burnRates: Record<string, number | null>;
  errorRatios: Record<string, number | null>;
  /** At the burn rate of the fastest tier's long window, how long the remaining budget lasts. */
  timeToExhaustionMs: number | null;
  tiers: TierStatus[];
}

/**
 * One SLO. The top-level numbers are those of the group that needs attention most (a firing or
 * burning fast tier first, then the least budget left); the tiers' `burning`, `firing` and
 * `state` say whether any group burns. Without groupBy there is one group and they coincide.
 */
export interface SloStatus extends GroupStatus {
  service: string;
  slo: string;
  /** Percent, as in the spec. */
  objective: number;
  period: string;
  errorBudget: number;
  /** `mixed` when some windows came from the rules and others from the raw SLI. */
  source: Source | 'mixed';
  sources: Record<string, Source>;
  groups: GroupStatus[];
  /** Failed queries that left some of this SLO's numbers unknown. */
  errors: string[];
}
