/** ISO 8601 to the second, in UTC: what on-call pastes into an incident channel. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
