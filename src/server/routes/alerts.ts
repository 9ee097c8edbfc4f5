import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { LinkTargets } from '../../alerts/link.ts';
import { ALERTS_API_PATH, ALERTS_PATH } from '../../conventions/urls.ts';
import { type AlertQuery, nextPageQuery, parseAlertQuery, storeQuery } from '../alert-query.ts';
import { alertDocument, alertJson, alertListDocument } from '../alert-views.ts';
import { sendError } from '../errors.ts';
import { serverLinks } from '../links.ts';
import { sendHtml } from '../reply.ts';
import { requestPath } from './runbooks.ts';

/** `/alerts`, `/alerts/:id` and `/api/v1/alerts`, read from the alert store. */

const PAGE_SIZE = 50;
const API_PAGE_SIZE = 100;

export interface AlertRoutesOptions {
  /** What alerts link to, read per call so edited runbooks count at once. */
  targets: () => LinkTargets;
  /** Whether evidence is captured: an alert page without any says why. */
  prometheusConfigured: boolean;
}

async function routes(app: FastifyInstance, options: AlertRoutesOptions): Promise<void> {
  const store = app.alertStore;

  /** A page of alerts and the query string of the next, or undefined on the last page. */
  async function listPage(query: AlertQuery, pageSize: number) {
    const rows = await store.list(storeQuery(query, pageSize));
    const shown = rows.slice(0, query.limit ?? pageSize);
    const last = shown.at(-1);
    const next = rows.length > shown.length && last ? nextPageQuery(query, last) : undefined;
    return { rows: shown, next };
  }

  app.get(ALERTS_API_PATH, async (request, reply) => {
    const parsed = parseAlertQuery(request.query);
    if (!parsed.ok) return sendError(reply, 400, 'invalid query', parsed.problems);
    const { rows, next } = await listPage(parsed.query, API_PAGE_SIZE);
    const targets = options.targets();
    return {
      alerts: rows.map((row) => alertJson(row, targets)),
      next: next === undefined ? null : `${ALERTS_API_PATH}?${next}`,
    };
  });

  app.get(ALERTS_PATH, async (request, reply) => {
    const parsed = parseAlertQuery(request.query);
    const query = parsed.ok ? parsed.query : {};
    const { rows, next } = parsed.ok ? await listPage(query, PAGE_SIZE) : { rows: [], next: undefined };
    const html = alertListDocument(
      {
        rows,
        query,
        ...(next === undefined ? {} : { next }),
        problems: parsed.ok ? [] : parsed.problems,
        targets: options.targets(),
        now: Date.now(),
      },
      serverLinks(requestPath(request)),
    );
    return sendHtml(reply, html, parsed.ok ? 200 : 400);
  });

  app.get<{ Params: { id: string } }>(`${ALERTS_PATH}/:id`, async (request, reply) => {
    const { id } = request.params;
    const alert = /^\d{1,15}$/.test(id) ? await store.get(Number(id)) : undefined;
    // The site-wide 404 page, with its "did you mean" list.
    if (!alert) return reply.callNotFound();
    const html = alertDocument(
      {
        alert,
        targets: options.targets(),
        prometheusConfigured: options.prometheusConfigured,
        now: Date.now(),
      },
      serverLinks(requestPath(request)),
    );
    return sendHtml(reply, html);
  });
}

export const alertRoutes = fp(routes, {
  name: 'burnbook-alert-routes',
  encapsulate: true,
  dependencies: ['burnbook-alerts'],
  decorators: { fastify: ['alertStore'] },
});
