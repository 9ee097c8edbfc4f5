import { humanDuration } from '../policy/duration.ts';
import { isoTime } from '../text/time.ts';

/** When the burn is known to have ended (ms), and how it is known. */
export interface BurnEnd {
  atMs: number;
  /** `burn`: Prometheus's ratio fell back under the budget rate (incidents/timeline.ts, burnOf); `alert`: the
   * alert resolved, which is after the burn ended (its windows clear later still). */
  by: 'burn' | 'alert';
}

/**
 * What to say over evidence captured after the burn ended. The first-look queries run when a firing alert
 * reaches burnbook, and that can be well after the burn: Alertmanager retrying a delivery while burnbook was
 * down, a short burn whose alert fired as it ended. Their numbers then show the recovery, not the incident,
 * and a reader must not take them for the outage. Null when captured before the end, or the end is unknown.
 */
export function evidenceAfterRecovery(capturedAtMs: number, end: BurnEnd | null): string | null {
  if (end === null || capturedAtMs <= end.atMs) return null;
  const late = humanDuration(capturedAtMs - end.atMs);
  const at = isoTime(end.atMs);
  const when =
    end.by === 'burn'
      ? `${late} after the burn ended at ${at}`
      : `${late} after the alert resolved at ${at}, when the burn had already ended`;
  return `Captured ${when}: the values below are after recovery, not those of the burn.`;
}
