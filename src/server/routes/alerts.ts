import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type { LinkTargets } from '../../alerts/link.ts';
import { ALERTS_API_PATH, ALERTS_PATH } from '../../conventions/urls.ts';
import { incidentTitle } from '../../incidents/key.ts';
import { incidentOfAlert } from '../../incidents/load.ts';
import { type AlertQuery, nextPageQuery, parseAlertQuery, storeQuery } from '../alert-query.ts';
import {
  alertDocument,
  alertJson,
  alertListDocument,
  historyUnavailableDocument,
  storeBanner,
  truncatedDeliveryJson,
} from '../alert-views.ts';
import { sendError } from '../errors.ts';
import { serverLinks } from '../links.ts';
import { sendHtml } from '../reply.ts';
import { requestPath } from './runbooks.ts';

/**
 * `/alerts`, `/alerts/:id` and `/api/v1/alerts`, read from the alert store. A store that cannot be read
 * (damaged, or not openable at all) makes them answer 503 with what to do, never a bare 500; one that
 * cannot write says so above the list. They are never cached: they hold what alerts said, and they change
 * with every delivery.
 */

const PAGE_SIZE = 50;
const API_PAGE_SIZE = 100;
const TRUNCATED_SHOWN = 10;
const TRUNCATED_IN_API = 20;

export interface AlertRoutesOptions {
  /** What alerts link to, read per call so edited runbooks count at once. */
  targets: () => LinkTargets;
  /** Whether evidence is captured: an alert page without any says why. */
  prometheusConfigured: boolean;
}

type Read<T> = { ok: true; value: T } | { ok: false; problem: string };

async function routes(app: FastifyInstance, options: AlertRoutesOptions): Promise<void> {
  const store = app.alertStore;

  /** Reads the store, or says why it cannot; a fault in burnbook rather than the store still throws. */
  async function read<T>(reader: () => Promise<T>): Promise<Read<T>> {
    try {
      return { ok: true, value: await reader() };
    } catch (error) {
      if (!store.isTransient(error)) throw error;
      return { ok: false, problem: (error as Error).message };
    }
  }

  /** A page of alerts and the query string of the next, or undefined on the last page. */
  async function listPage(query: AlertQuery, pageSize: number) {
    const rows = await store.list(storeQuery(query, pageSize));
    const shown = rows.slice(0, query.limit ?? pageSize);
    const last = shown.at(-1);
    const next = rows.length > shown.length && last ? nextPageQuery(query, last) : undefined;
    return { rows: shown, next };
  }

  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
  const banner = async () => {
    const health = await store.health();
    return health.ok ? null : storeBanner(health.problem);
  };

  app.get(ALERTS_API_PATH, async (request, reply) => {
    noStore(reply);
    const parsed = parseAlertQuery(request.query);
    if (!parsed.ok) return sendError(reply, 400, 'invalid query', parsed.problems);
    const page = await read(async () => ({
      ...(await listPage(parsed.query, API_PAGE_SIZE)),
      truncated: await store.truncatedDeliveries(TRUNCATED_IN_API),
    }));
    if (!page.ok) return sendError(reply, 503, 'the alert history cannot be read', [page.problem]);
    const targets = options.targets();
    const { rows, next, truncated } = page.value;
    return {
      alerts: rows.map((row) => alertJson(row, targets)),
      next: next === undefined ? null : `${ALERTS_API_PATH}?${next}`,
      truncatedDeliveries: truncated.map(truncatedDeliveryJson),
    };
  });

  app.get(ALERTS_PATH, async (request, reply) => {
    noStore(reply);
    const links = serverLinks(requestPath(request));
    const parsed = parseAlertQuery(request.query);
    const query = parsed.ok ? parsed.query : {};
    const page = await read(async () => ({
      ...(parsed.ok ? await listPage(query, PAGE_SIZE) : { rows: [], next: undefined }),
      // Only the first page: the rest are about older alerts.
      truncated: query.before === undefined ? await store.truncatedDeliveries(TRUNCATED_SHOWN) : [],
    }));
    if (!page.ok) return sendHtml(reply, historyUnavailableDocument(page.problem, links), 503);
    const { rows, next, truncated } = page.value;
    const html = alertListDocument(
      {
        rows,
        query,
        ...(next === undefined ? {} : { next }),
        problems: parsed.ok ? [] : parsed.problems,
        truncated,
        banner: await banner(),
        targets: options.targets(),
        now: Date.now(),
      },
      links,
    );
    return sendHtml(reply, html, parsed.ok ? 200 : 400);
  });

  app.get<{ Params: { id: string } }>(`${ALERTS_PATH}/:id`, async (request, reply) => {
    noStore(reply);
    const links = serverLinks(requestPath(request));
    const { id } = request.params;
    const found = /^\d{1,15}$/.test(id)
      ? await read(() => store.get(Number(id)))
      : { ok: true as const, value: undefined };
    if (!found.ok) return sendHtml(reply, historyUnavailableDocument(found.problem, links), 503);
    // The site-wide 404 page, with its "did you mean" list.
    const alert = found.value;
    if (!alert) return reply.callNotFound();
    const incident = await read(() => incidentOfAlert(store, options.targets(), alert.id));
    const own = incident.ok ? incident.value : undefined;
    const html = alertDocument(
      {
        alert,
        ...(own ? { incident: { id: own.id, title: incidentTitle(own.key) } } : {}),
        targets: options.targets(),
        prometheusConfigured: options.prometheusConfigured,
        banner: await banner(),
        now: Date.now(),
      },
      links,
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
