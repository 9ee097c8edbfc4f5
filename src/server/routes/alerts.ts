import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AlertHistory } from '../../alerts/plugin.ts';
import type { AlertStore } from '../../alerts/store.ts';
import { classifyStoreError, storeFaultAdvice } from '../../alerts/store-faults.ts';
import { type AlertQuery, nextPageQuery, parseAlertQuery, storeQuery } from '../alert-query.ts';
import {
  alertDocument,
  alertJson,
  alertListDocument,
  historyUnavailableDocument,
  storeBanner,
  truncatedDeliveryJson,
} from '../alert-views.ts';
import type { AppContext } from '../app.ts';
import { serverLinks } from '../links.ts';
import { sendHtml } from '../reply.ts';
import { requestPath } from './runbooks.ts';

/**
 * `/alerts`, `/alerts/:id` and `/api/v1/alerts`, read from the alert store. A store that cannot be read
 * (damaged, or not openable at all) makes them answer 503 with the cause, never a bare 500. They are never
 * cached: they hold what alerts said, and they change with every delivery.
 */

const PAGE_SIZE = 50;
const API_PAGE_SIZE = 100;
const TRUNCATED_SHOWN = 10;
const TRUNCATED_IN_API = 20;

type Read<T> = { ok: true; value: T } | { ok: false; message: string };

export function alertRoutes(app: FastifyInstance, context: AppContext, history: AlertHistory): void {
  const { store, health } = history;

  /** Reads the store, or says why it cannot; a fault in burnbook rather than the store still throws. */
  function read<T>(reader: (store: AlertStore) => T): Read<T> {
    if (!store) {
      const status = health.status();
      return { ok: false, message: status.writable ? 'the alert store is not open' : status.message };
    }
    try {
      return { ok: true, value: reader(store) };
    } catch (error) {
      const fault = classifyStoreError(error);
      if (fault.kind === 'bug') throw error;
      return { ok: false, message: storeFaultAdvice(fault, store.file) };
    }
  }

  /** A page of alerts and the query string of the next, or undefined on the last page. */
  const listPage = (query: AlertQuery, pageSize: number) => (s: AlertStore) => {
    const rows = s.list(storeQuery(query, pageSize));
    const shown = rows.slice(0, query.limit ?? pageSize);
    const last = shown.at(-1);
    const next = rows.length > shown.length && last ? nextPageQuery(query, last) : undefined;
    return { rows: shown, next, truncated: s.truncatedDeliveries(TRUNCATED_IN_API) };
  };

  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.get('/api/v1/alerts', async (request, reply) => {
    noStore(reply);
    const parsed = parseAlertQuery(request.query);
    if (!parsed.ok) return reply.code(400).send({ error: 'invalid query', problems: parsed.problems });
    const page = read(listPage(parsed.query, API_PAGE_SIZE));
    if (!page.ok) {
      return reply.code(503).send({ error: 'the alert history cannot be read', problems: [page.message] });
    }
    const targets = history.targets();
    const { rows, next, truncated } = page.value;
    return {
      alerts: rows.map((row) => alertJson(row, targets)),
      next: next === undefined ? null : `/api/v1/alerts?${next}`,
      truncatedDeliveries: truncated.map(truncatedDeliveryJson),
    };
  });

  app.get('/alerts', async (request, reply) => {
    noStore(reply);
    const links = serverLinks(requestPath(request));
    const parsed = parseAlertQuery(request.query);
    const query = parsed.ok ? parsed.query : {};
    const page: Read<ReturnType<ReturnType<typeof listPage>>> = parsed.ok
      ? read(listPage(query, PAGE_SIZE))
      : { ok: true, value: { rows: [], next: undefined, truncated: [] } };
    if (!page.ok) return sendHtml(reply, historyUnavailableDocument(page.message, links), 503);
    const { rows, next, truncated } = page.value;
    const html = alertListDocument(
      {
        rows,
        query,
        ...(next === undefined ? {} : { next }),
        problems: parsed.ok ? [] : parsed.problems,
        // Only the first page: the rest are about older alerts.
        truncated: query.before === undefined ? truncated.slice(0, TRUNCATED_SHOWN) : [],
        banner: storeBanner(health.status()),
        targets: history.targets(),
        now: Date.now(),
      },
      links,
    );
    return sendHtml(reply, html, parsed.ok ? 200 : 400);
  });

  app.get<{ Params: { id: string } }>('/alerts/:id', async (request, reply) => {
    noStore(reply);
    const links = serverLinks(requestPath(request));
    const { id } = request.params;
    const found = /^\d{1,15}$/.test(id)
      ? read((s) => s.get(Number(id)))
      : { ok: true as const, value: undefined };
    if (!found.ok) return sendHtml(reply, historyUnavailableDocument(found.message, links), 503);
    // The site-wide 404 page, with its "did you mean" list.
    if (!found.value) return reply.callNotFound();
    const html = alertDocument(
      {
        alert: found.value,
        targets: history.targets(),
        prometheusConfigured: Boolean(context.prometheusUrl),
        banner: storeBanner(health.status()),
        now: Date.now(),
      },
      links,
    );
    return sendHtml(reply, html);
  });
}
