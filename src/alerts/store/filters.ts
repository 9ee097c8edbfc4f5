/** What `AlertStore.list` filters by, and the column a SQL backend keeps each in (filled from the labels). */
export const FILTER_COLUMNS = {
  service: 'slo_service',
  slo: 'slo',
  severity: 'severity',
  alertname: 'alertname',
  runbookUrl: 'runbook_url',
} as const;
export type Filter = keyof typeof FILTER_COLUMNS;
export const FILTERS = Object.keys(FILTER_COLUMNS) as Filter[];

/** Rows a list gives when the query names no limit. */
export const DEFAULT_LIST_LIMIT = 100;
