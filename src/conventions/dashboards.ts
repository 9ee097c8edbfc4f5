import { createHash } from 'node:crypto';

// Grafana rejects dashboard uids longer than 40 characters or with anything but these.
const MAX_LENGTH = 40;
const INVALID = /[^a-zA-Z0-9_-]/;
const HASH_LENGTH = 10;

/**
 * A dashboard uid that is a pure function of names, so links, bookmarks and `dashboard_url`
 * annotations survive every regeneration. It is the names themselves when they fit; otherwise
 * their start plus a hash of all of them, which keeps it unique.
 */
export function stableUid(...parts: string[]): string {
  const readable = parts.join('-');
  if (readable.length <= MAX_LENGTH && !INVALID.test(readable)) return readable;
  const hash = createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, HASH_LENGTH);
  const start = readable.replace(new RegExp(INVALID, 'g'), '_').slice(0, MAX_LENGTH - HASH_LENGTH - 1);
  return `${start}-${hash}`;
}

// The `svc` part keeps a service named `overview` from taking the overview's uid.
export const OVERVIEW_UID = stableUid('burnbook', 'overview');

export function serviceDashboardUid(service: string): string {
  return stableUid('burnbook', 'svc', service);
}
