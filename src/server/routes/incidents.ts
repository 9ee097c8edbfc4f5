import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type { LinkTargets } from '../../alerts/link.ts';
import { INCIDENTS_PATH, incidentPath, type SiteUrls } from '../../conventions/urls.ts';
import { createAlertmanagerClient } from '../../evaluator/alertmanager-client.ts';
import type { Incident } from '../../incidents/group.ts';
import { incidentOfAlert, listIncidents } from '../../incidents/load.ts';
import { postmortemMarkdown } from '../../incidents/postmortem.ts';
import { type IncidentSources, incidentReport } from '../../incidents/report.ts';
import { createPrometheusClient, type PrometheusClientOptions } from '../../prometheus/client.ts';
import { historyUnavailableDocument, storeBanner } from '../alert-views.ts';
import { chartAssets } from '../assets.ts';
import { incidentDocument, incidentListDocument } from '../incident-views.ts';
import { serverLinks } from '../links.ts';
import { sendHtml } from '../reply.ts';
import { viewAsset } from '../views.ts';
import { requestPath } from './runbooks.ts';

/**
 * `/incidents`, `/incidents/:id` and `/incidents/:id/postmortem.md`, derived from the alert store on every
 * request (incidents/). An id that is an alert of a larger incident redirects to that incident. Prometheus
 * and Alertmanager are asked with short timeouts, at most two rounds one after the other, so a page waits
 * at most about 2 × QUERY_TIMEOUT_MS whatever they do; what they did not answer the page names.
 */

const QUERY_TIMEOUT_MS = 8_000;
const CHART_SCRIPT = viewAsset('incident-chart.js');
const ID = /^\d{1,15}$/;

export interface IncidentRoutesOptions {
  targets: () => LinkTargets;
  urls: SiteUrls;
  runbooksDir: string;
  prometheus?: PrometheusClientOptions;
  alertmanagerUrl?: string;
}

async function routes(app: FastifyInstance, options: IncidentRoutesOptions): Promise<void> {
  const store = app.alertStore;
  const prometheus = options.prometheus
    ? createPrometheusClient({
        ...options.prometheus,
        timeoutMs: Math.min(options.prometheus.timeoutMs ?? QUERY_TIMEOUT_MS, QUERY_TIMEOUT_MS),
      })
    : undefined;
  const alertmanager = options.alertmanagerUrl
    ? createAlertmanagerClient({ url: options.alertmanagerUrl, timeoutMs: QUERY_TIMEOUT_MS })
    : undefined;
  const sources = (): IncidentSources => ({
    store,
    targets: options.targets(),
    ...(prometheus ? { prometheus } : {}),
    ...(alertmanager ? { alertmanager } : {}),
    now: Date.now(),
  });
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
  const banner = async () => {
    const health = await store.health();
    return health.ok ? null : storeBanner(health.problem);
  };
  /** The store's fault as a 503 page; a fault of burnbook's own still throws. */
  const unreadable = (error: unknown, reply: FastifyReply, path: string) => {
    if (!store.isTransient(error)) throw error;
    return sendHtml(reply, historyUnavailableDocument((error as Error).message, serverLinks(path)), 503);
  };

  app.get<{ Querystring: Record<string, unknown> }>(INCIDENTS_PATH, async (request, reply) => {
    noStore(reply);
    const text = (value: unknown) =>
      typeof value === 'string' && value.trim() ? value.trim().slice(0, 200) : undefined;
    const service = text(request.query.service);
    const slo = text(request.query.slo);
    const filter = { ...(service ? { service } : {}), ...(slo ? { slo } : {}) };
    const path = requestPath(request);
    let incidents: Incident[];
    try {
      incidents = await listIncidents(store, options.targets(), filter);
    } catch (error) {
      return unreadable(error, reply, path);
    }
    const html = incidentListDocument(
      { incidents, filter, slos: options.targets().slos, banner: await banner(), now: Date.now() },
      serverLinks(path),
    );
    return sendHtml(reply, html);
  });

  /** The incident an id names; a redirect when the id is a later alert of it. */
  async function find(
    id: string,
    reply: FastifyReply,
    path: string,
    suffix: string,
  ): Promise<Incident | undefined> {
    if (!ID.test(id)) return undefined;
    const incident = await incidentOfAlert(store, options.targets(), Number(id));
    if (incident && incident.id !== Number(id)) {
      // Relative, like every link: it holds behind a proxy's path prefix.
      await reply.redirect(`${serverLinks(path).to(incidentPath(incident.id)) ?? ''}${suffix}`, 302);
    }
    return incident;
  }

  app.get<{ Params: { id: string } }>(`${INCIDENTS_PATH}/:id`, async (request, reply) => {
    noStore(reply);
    const path = requestPath(request);
    let incident: Incident | undefined;
    try {
      incident = await find(request.params.id, reply, path, '');
      if (reply.sent) return reply;
      if (!incident) return reply.callNotFound();
      const links = serverLinks(path);
      const report = await incidentReport(incident, sources());
      const assets = chartAssets(links);
      const charts = assets ? { ...assets, scripts: [CHART_SCRIPT] } : undefined;
      const html = incidentDocument({ report, banner: await banner(), ...(charts ? { charts } : {}) }, links);
      return sendHtml(reply, html);
    } catch (error) {
      return unreadable(error, reply, path);
    }
  });

  app.get<{ Params: { id: string } }>(`${INCIDENTS_PATH}/:id/postmortem.md`, async (request, reply) => {
    noStore(reply);
    try {
      const incident = await find(request.params.id, reply, requestPath(request), '/postmortem.md');
      if (reply.sent) return reply;
      if (!incident) return reply.callNotFound();
      const report = await incidentReport(incident, sources());
      const markdown = postmortemMarkdown(
        report,
        options.runbooksDir,
        options.urls.incidentPage(incident.id),
      );
      return reply.type('text/markdown; charset=utf-8').send(markdown);
    } catch (error) {
      return unreadable(error, reply, requestPath(request));
    }
  });
}

export const incidentRoutes = fp(routes, {
  name: 'burnbook-incident-routes',
  encapsulate: true,
  dependencies: ['burnbook-alerts'],
  decorators: { fastify: ['alertStore'] },
});
