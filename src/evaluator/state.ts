import type { AlertState } from './report.ts';

/**
 * One alert's state with `for`, as Prometheus's rule manager keeps it: the condition must hold
 * for `for` before the alert fires; once it stops holding, the alert is resolved and stays so
 * for a while, so the end reaches Alertmanager even if a notification is lost.
 */
export interface TierState {
  state: AlertState;
  /** When the condition started holding (epoch ms). */
  activeAt?: number;
  /** When it started firing: the alert's startsAt, as Prometheus sends it. */
  firedAt?: number;
  resolvedAt?: number;
}

export const INACTIVE: TierState = { state: 'inactive' };

// Prometheus keeps sending a resolved alert for 15 minutes (rules/alerting.go, resolvedRetention).
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/**
 * The next state after an evaluation at `now`. An unknown condition (Prometheus did not answer)
 * changes nothing: an outage of the evaluator's data must neither fire nor resolve alerts.
 */
export function advance(previous: TierState, holds: boolean | null, now: number, forMs: number): TierState {
  if (holds === null) return previous;
  const { state, activeAt } = previous;
  if (holds) {
    if (state === 'firing') return previous;
    const since = state === 'pending' && activeAt !== undefined ? activeAt : now;
    return now - since >= forMs
      ? { state: 'firing', activeAt: since, firedAt: now }
      : { state: 'pending', activeAt: since };
  }
  if (state === 'firing') return { ...previous, state: 'resolved', resolvedAt: now };
  if (state === 'resolved' && now - (previous.resolvedAt ?? now) < RESOLVED_RETENTION_MS) return previous;
  return INACTIVE;
}
