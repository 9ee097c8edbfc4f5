import { alertStatusSchema } from '../payload.ts';
import type { AlertListQuery, AlertRow } from './store.ts';

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

/**
 * How a SQL backend answers `list`: one query per status in `statuses` (firing first, then resolved, each newest
 * start first), until `limit` rows in all, each narrowed by `filters`.
 */
export function listPlan(query: AlertListQuery): {
  limit: number;
  filters: Filter[];
  statuses: Array<AlertRow['status']>;
} {
  const statuses = query.status ? [query.status] : alertStatusSchema.options;
  return {
    limit: Math.max(0, query.limit ?? DEFAULT_LIST_LIMIT),
    filters: FILTERS.filter((filter) => query[filter] !== undefined),
    // Statuses listed before the cursor's were all on earlier pages.
    statuses: query.before?.status === 'resolved' ? statuses.filter((s) => s !== 'firing') : statuses,
  };
}
