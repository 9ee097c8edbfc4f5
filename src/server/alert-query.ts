/**
 * The query string of `/alerts` and `/api/v1/alerts`: filters, page size and the cursor of the next page.
 * One parser for both, so a link copied from the page works against the API and back.
 */
import { z } from 'zod';
import { alertStatusSchema, describeIssue, formatPath } from '../alerts/payload.ts';
import type { AlertCursor, AlertListQuery } from '../alerts/store/store.ts';

const MAX_LIMIT = 500;

// An HTML form sends every field, the empty ones as `service=`: empty means "any".
const filter = z.preprocess((value) => (value === '' ? undefined : value), z.string().max(200).optional());

// `<status>.<startsAt>.<id>` of the last alert on the previous page; only burnbook writes it.
const CURSOR = /^(firing|resolved)\.(\d+)\.(\d+)$/;

const cursor = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .string()
    .regex(CURSOR, 'expected the cursor from a previous page')
    .transform((text): AlertCursor => {
      const [, status, startsAt, id] = CURSOR.exec(text) as RegExpExecArray;
      return { status: alertStatusSchema.parse(status), startsAt: Number(startsAt), id: Number(id) };
    })
    .optional(),
);

const alertQuerySchema = z.object({
  status: z.preprocess((value) => (value === '' ? undefined : value), alertStatusSchema.optional()),
  service: filter,
  slo: filter,
  severity: filter,
  alertname: filter,
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT, `expected at most ${MAX_LIMIT}`).optional(),
  before: cursor,
});

export type AlertQuery = z.output<typeof alertQuerySchema>;

/** The query, or problems naming the parameters (`status: expected "firing" or "resolved"`). */
export function parseAlertQuery(
  query: unknown,
): { ok: true; query: AlertQuery } | { ok: false; problems: string[] } {
  const parsed = alertQuerySchema.safeParse(query, { error: describeIssue });
  if (parsed.success) return { ok: true, query: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  };
}

function cursorOf(row: AlertCursor): string {
  return `${row.status}.${row.startsAt}.${row.id}`;
}

/** The query string of the page after the one that ended with `last`, with the same filters. */
export function nextPageQuery(query: AlertQuery, last: AlertCursor): string {
  const params = new URLSearchParams();
  for (const key of ['status', 'service', 'slo', 'severity', 'alertname'] as const) {
    const value = query[key];
    if (value !== undefined) params.set(key, value);
  }
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  params.set('before', cursorOf(last));
  return params.toString();
}

/** What the store is asked for: one row more than the page shows, to know whether a next page exists. */
export function storeQuery(query: AlertQuery, pageSize: number): AlertListQuery {
  const { limit, ...rest } = query;
  return { ...rest, limit: (limit ?? pageSize) + 1 };
}
