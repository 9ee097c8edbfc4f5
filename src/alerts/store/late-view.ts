/**
 * An Alertmanager HA cluster orders nothing across its peers: a peer whose group flush took its snapshot just
 * before a resolution reached it still delivers that older "firing" view, a peer timeout or a retry later,
 * after another peer delivered "resolved" (prometheus/alertmanager#2447, #4008). Recorded as it comes, every
 * such alert would read fired, resolved, fired again, resolved, and capture its evidence twice.
 *
 * A re-fire of the same occurrence (same fingerprint and startsAt) is real when Alertmanager resolved an alert
 * whose `endsAt` passed and Prometheus then sent it again: the same Alertmanager that resolved it says so.
 * A late view comes from another peer, within a few group intervals of the resolution.
 */

/** How long after a resolution another Alertmanager's "firing" is taken for its older view: two default group intervals. */
export const LATE_VIEW_MS = 10 * 60_000;

/** Who resolved a stored occurrence, and when its resolution arrived (milliseconds since the epoch). */
export interface Resolution {
  /** The `externalURL` of the Alertmanager whose delivery resolved it. */
  by: string;
  at: number;
}

/**
 * Whether a delivery saying "firing" for an occurrence stored as resolved is another Alertmanager's late view
 * rather than a re-fire: it comes from a different Alertmanager (`externalURL`) than the resolution did, within
 * LATE_VIEW_MS of it. Such a delivery counts as a receipt and changes nothing. Pure, so tested as a table.
 */
export function isLateView(resolution: Resolution | undefined, sender: string, receivedAt: number): boolean {
  if (!resolution) return false;
  return sender !== resolution.by && receivedAt - resolution.at <= LATE_VIEW_MS;
}
