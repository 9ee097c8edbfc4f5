import type { FastifyInstance } from 'fastify';
import type { AlertHistory } from '../../alerts/plugin.ts';
import { type AlertQuery, nextPageQuery, parseAlertQuery, storeQuery } from '../alert-query.ts';
import { alertDocument, alertJson, alertListDocument } from '../alert-views.ts';
import type { AppContext } from '../app.ts';
import { serverLinks } from '../links.ts';
import { sendHtml } from '../reply.ts';
import { requestPath } from './runbooks.ts';

/** `/alerts`, `/alerts/:id` and `/api/v1/alerts`, read from the alert store. */

const PAGE_SIZE = 50;
const API_PAGE_SIZE = 100;

export function alertRoutes(app: FastifyInstance, context: AppContext, history: AlertHistory): void {
  const { store } = history;

  /** A page of alerts and the query string of the next, or undefined on the last page. */
  function listPage(query: AlertQuery, pageSize: number) {
    const rows = store.list(storeQuery(query, pageSize));
    const shown = rows.slice(0, query.limit ?? pageSize);
    const last = shown.at(-1);
    const next = rows.length > shown.length && last ? nextPageQuery(query, last) : undefined;
    return { rows: shown, next };
  }

  app.get('/api/v1/alerts', async (request, reply) => {
    const parsed = parseAlertQuery(request.query);
    if (!parsed.ok) return reply.code(400).send({ error: 'invalid query', problems: parsed.problems });
    const { rows, next } = listPage(parsed.query, API_PAGE_SIZE);
    const targets = history.targets();
    return {
      alerts: rows.map((row) => alertJson(row, targets)),
      next: next === undefined ? null : `/api/v1/alerts?${next}`,
    };
  });

  app.get('/alerts', async (request, reply) => {
    const parsed = parseAlertQuery(request.query);
    const query = parsed.ok ? parsed.query : {};
    const { rows, next } = parsed.ok ? listPage(query, PAGE_SIZE) : { rows: [], next: undefined };
    const html = alertListDocument(
      {
        rows,
        query,
        ...(next === undefined ? {} : { next }),
        problems: parsed.ok ? [] : parsed.problems,
        targets: history.targets(),
        now: Date.now(),
      },
      serverLinks(requestPath(request)),
    );
    return sendHtml(reply, html, parsed.ok ? 200 : 400);
  });

  app.get<{ Params: { id: string } }>('/alerts/:id', async (request, reply) => {
    const { id } = request.params;
    const alert = /^\d{1,15}$/.test(id) ? store.get(Number(id)) : undefined;
    // The site-wide 404 page, with its "did you mean" list.
    if (!alert) return reply.callNotFound();
    const html = alertDocument(
      {
        alert,
        targets: history.targets(),
        prometheusConfigured: Boolean(context.prometheusUrl),
        now: Date.now(),
      },
      serverLinks(requestPath(request)),
    );
    return sendHtml(reply, html);
  });
}
