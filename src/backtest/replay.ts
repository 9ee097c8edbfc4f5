import { ruleThreshold, tierCondition } from '../evaluator/evaluate.ts';
import { advance, INACTIVE } from '../evaluator/state.ts';
import { errorBudget } from '../policy/burn.ts';
import type { Tier } from '../policy/tiers.ts';
import { BASE_WINDOW_MS } from '../policy/windows.ts';
import type { Slo } from '../spec/model.ts';
import type { BacktestRange } from './plan.ts';

/** One group's 5m rates on the step grid from `fetchStart`; NaN where Prometheus had no sample. */
export interface GroupSeries {
  labels: Record<string, string>;
  errors: Float64Array;
  total: Float64Array;
}

/**
 * One time a tier would have fired. The detection delay runs from the onset, the first step of
 * the uninterrupted run of steps (ending where the alert fired) in which the tier's short-window
 * error ratio was above its threshold, to the step it fired at: the time the long window needed to
 * catch up plus `for`, at the backtest's step resolution. An onset at the first replayed step may
 * be earlier in truth (`onsetBeforeRange`).
 */
export interface Episode {
  labels: Record<string, string>;
  onsetAt: string;
  onsetBeforeRange: boolean;
  firedAt: string;
  /** Null while still firing at the end of the range. */
  resolvedAt: string | null;
  detectionDelayMs: number;
  durationMs: number;
  /** The highest long-window burn rate while it fired. */
  peakBurnRate: number;
}

export interface TierReplay {
  tier: string;
  severity: string;
  threshold: number;
  fired: number;
  firingMs: number;
  episodes: Episode[];
}

/** Running sums, so any window's total is two lookups. */
class Sums {
  private readonly sums: Float64Array;
  private readonly counts: Uint32Array;

  constructor(values: Float64Array) {
    this.sums = new Float64Array(values.length + 1);
    this.counts = new Uint32Array(values.length + 1);
    values.forEach((v, i) => {
      const present = Number.isFinite(v);
      this.sums[i + 1] = (this.sums[i] as number) + (present ? v : 0);
      this.counts[i + 1] = (this.counts[i] as number) + (present ? 1 : 0);
    });
  }

  /** Sum and sample count over the `n` steps ending at step i. */
  over(i: number, n: number): [number, number] {
    const from = Math.max(0, i + 1 - n);
    return [
      (this.sums[i + 1] as number) - (this.sums[from] as number),
      (this.counts[i + 1] as number) - (this.counts[from] as number),
    ];
  }
}

/**
 * Ratio and event count over a window ending at step i, as the recording rules compute them from
 * their 5m samples (here one per step, in (t − W, t]).
 */
function windows(group: GroupSeries, stepMs: number) {
  const errors = new Sums(group.errors);
  const total = new Sums(group.total);
  // The 5m ratio is the latest 5m rates alone; longer windows sum every 5m sample within them.
  const steps = (windowMs: number) => (windowMs === BASE_WINDOW_MS ? 1 : Math.ceil(windowMs / stepMs));
  return {
    ratio(i: number, windowMs: number): number | null {
      const [t, n] = total.over(i, steps(windowMs));
      if (n === 0) return null;
      return t > 0 ? errors.over(i, steps(windowMs))[0] / t : 0;
    },
    events(i: number, windowMs: number): number | null {
      const [t, n] = total.over(i, steps(windowMs));
      return n === 0 ? null : (t / n) * (windowMs / 1000);
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Replays one tier over one group, step by step, with the evaluator's own state machine. */
function replayTier(slo: Slo, tier: Tier, group: GroupSeries, range: BacktestRange): Episode[] {
  const { stepMs } = range;
  const w = windows(group, stepMs);
  const threshold = ruleThreshold(slo, tier);
  const budget = errorBudget(slo.objective);
  const first = Math.round((range.start - range.fetchStart) / stepMs);
  const last = Math.round((range.end - range.fetchStart) / stepMs);
  const at = (i: number) => range.fetchStart + i * stepMs;
  const episodes: Episode[] = [];
  let state = INACTIVE;
  let open: Episode | undefined;
  for (let i = first; i <= last; i++) {
    const holds = tierCondition(
      slo,
      tier,
      (windowMs) => w.ratio(i, windowMs),
      (windowMs) => w.events(i, windowMs),
    );
    // No data is no alert: Prometheus resolves an alert whose expression returns nothing.
    const next = advance(state, holds ?? false, at(i), tier.forMs);
    if (next.state === 'firing' && state.state !== 'firing') {
      let onset = i;
      while (onset > first && (w.ratio(onset - 1, tier.shortMs) ?? 0) > threshold) onset--;
      open = {
        labels: group.labels,
        onsetAt: iso(at(onset)),
        onsetBeforeRange: onset === first,
        firedAt: iso(at(i)),
        resolvedAt: null,
        detectionDelayMs: (i - onset) * stepMs,
        durationMs: 0,
        peakBurnRate: 0,
      };
      episodes.push(open);
    }
    if (open && next.state === 'firing') {
      open.peakBurnRate = Math.max(open.peakBurnRate, (w.ratio(i, tier.longMs) ?? 0) / budget);
      open.durationMs = at(i) - Date.parse(open.firedAt);
    } else if (open) {
      open.resolvedAt = iso(at(i));
      open.durationMs = at(i) - Date.parse(open.firedAt);
      open = undefined;
    }
    state = next;
  }
  return episodes;
}

export function replaySlo(slo: Slo, groups: GroupSeries[], range: BacktestRange): TierReplay[] {
  return slo.alerting.tiers.map((tier) => {
    const episodes = groups
      .flatMap((g) => replayTier(slo, tier, g, range))
      .sort((a, b) => a.firedAt.localeCompare(b.firedAt));
    return {
      tier: tier.name,
      severity: tier.severity,
      threshold: ruleThreshold(slo, tier),
      fired: episodes.length,
      firingMs: episodes.reduce((sum, e) => sum + e.durationMs, 0),
      episodes,
    };
  });
}

/** Errors over all events in the replayed steps, all groups together. */
export function rangeErrorRatio(groups: GroupSeries[], range: BacktestRange): number | null {
  const first = Math.round((range.start - range.fetchStart) / range.stepMs);
  let errors = 0;
  let total = 0;
  let seen = false;
  for (const g of groups) {
    for (let i = first; i < g.total.length; i++) {
      const t = g.total[i] as number;
      if (!Number.isFinite(t)) continue;
      seen = true;
      total += t;
      errors += Number.isFinite(g.errors[i]) ? (g.errors[i] as number) : 0;
    }
  }
  if (!seen) return null;
  return total > 0 ? errors / total : 0;
}
