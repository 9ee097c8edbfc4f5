import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RUNBOOKS_PATH, sloPath } from '../../conventions/urls.ts';
import { isHistoryRange } from '../../evaluator/history.ts';
import { CHART_LIBRARY_MISSING, chartAssets } from '../assets.ts';
import { sendError } from '../errors.ts';
import { serverLinks } from '../links.ts';
import {
  chartRequest,
  liveBanners,
  liveIndex,
  openingRequest,
  type SliCheckState,
  sloLive,
} from '../live.ts';
import { sendHtml } from '../reply.ts';
import {
  indexDocument,
  notFoundDocument,
  runbookDocument,
  runbookListDocument,
  type Site,
  sloDocument,
  withTimeout,
} from '../site.ts';
import { viewAsset } from '../views.ts';

/**
 * The browsable side of burnbook: `/`, `/slos/:service/:slo`, `/runbooks`, `/runbooks/*`,
 * and the 404 page for every path nothing else answers (notFound, set on the app).
 */

export function requestPath(request: FastifyRequest): string {
  return request.url.replace(/[?#].*$/, '');
}

// Paths people paste from a repository or a previous export: the page without the suffix.
const SUFFIX = /(\/|\.md|\.html)$/;

const CHARTS_SCRIPT = viewAsset('slo-charts.js');
const BANNER_STEP_MS = 10_000;

export interface RunbookRoutesOptions {
  /** The site as it is now: the runbooks directory is read per request, so edited markdown shows on reload. */
  site: () => Site;
}

async function routes(app: FastifyInstance, { site }: RunbookRoutesOptions): Promise<void> {
  // The evaluator's numbers are read, never awaited: a page waits for Prometheus only for the SLO page's
  // live check, and then for a few seconds at most.
  // `/` at 10,000 SLOs is 5 MB of HTML and about a second of work: rendered again only when the evaluator
  // has new numbers or its banners change, not for every request. The banners' "N s ago" are taken at the
  // next 10 s, so a failing Prometheus's banner does not make every request render the page again.
  let index: { key: unknown[]; html: string } | undefined;
  app.get('/', async (request, reply) => {
    const path = requestPath(request);
    const report = app.evaluation?.latest();
    const now = Math.ceil(Date.now() / BANNER_STEP_MS) * BANNER_STEP_MS;
    const key = [path, report?.slos, report && JSON.stringify(liveBanners(report, now))];
    if (!index || key.some((k, i) => k !== index?.key[i])) {
      const s = site();
      const links = serverLinks(path);
      index = { key, html: indexDocument(s, links, report && liveIndex(s.slos, report, links, now)) };
    }
    return sendHtml(reply, index.html);
  });

  app.get<{ Params: { service: string; slo: string }; Querystring: Record<string, unknown> }>(
    sloPath({ service: ':service', name: ':slo' }),
    async (request, reply) => {
      const s = site();
      const links = serverLinks(requestPath(request));
      const slo = s.slos.find((x) => x.service === request.params.service && x.name === request.params.slo);
      if (!slo) return sendHtml(reply, notFoundDocument(s, requestPath(request), links), 404);
      const report = app.evaluation?.latest();
      if (!report) return sendHtml(reply, sloDocument(s, slo, links));
      const assets = chartAssets(links);
      const sliCheck = app.evaluation?.sliCheck;
      const lastIncident = app.evaluation?.lastIncident;
      // The waits of this page, together and bounded: the live check of the SLI (cached for a minute) and,
      // without a range asked for, when the last incident began (the range the charts open on covers it).
      const [check, incidentStart] = await Promise.all([
        sliCheck
          ? withTimeout(() => sliCheck(slo)).then(
              (found): SliCheckState => ({ check: found }),
              (error: Error): SliCheckState => ({ error: error.message }),
            )
          : null,
        lastIncident && !isHistoryRange(request.query.range)
          ? withTimeout(() => lastIncident(slo, chartRequest(slo, request.query).group)).catch(() => null)
          : null,
      ]);
      const now = Date.now();
      const asked = openingRequest(slo, request.query, incidentStart, now);
      const noCharts = assets ? null : CHART_LIBRARY_MISSING;
      const live = sloLive(slo, report, asked, links, now, noCharts, check, incidentStart);
      const charts = assets && live.charts.historyHref ? { ...assets, scripts: [CHARTS_SCRIPT] } : undefined;
      return sendHtml(reply, sloDocument(s, slo, links, live, charts));
    },
  );

  app.get<{ Querystring: { q?: string | string[] } }>(RUNBOOKS_PATH, async (request, reply) => {
    const q = request.query.q;
    const query = (Array.isArray(q) ? q.join(' ') : (q ?? '')).trim();
    return sendHtml(reply, runbookListDocument(site(), serverLinks(requestPath(request)), query));
  });

  app.get<{ Params: { '*': string } }>(`${RUNBOOKS_PATH}/*`, async (request, reply) => {
    const s = site();
    const links = serverLinks(requestPath(request));
    const path = `${RUNBOOKS_PATH}/${request.params['*']}`;
    const found = s.catalogue.pages.find((p) => p.path === path);
    if (found) return sendHtml(reply, await runbookDocument(s, found, links, 'html'));
    const stripped = path.replace(SUFFIX, '');
    if (stripped === RUNBOOKS_PATH || s.catalogue.pages.some((p) => p.path === stripped)) {
      return reply.redirect(links.to(stripped) ?? stripped, 301);
    }
    return sendHtml(reply, notFoundDocument(s, path, links), 404);
  });
}

export const runbookRoutes = fp(routes, {
  name: 'burnbook-runbook-routes',
  encapsulate: true,
  dependencies: ['burnbook-evaluator'],
  decorators: { fastify: ['evaluation'] },
});

/**
 * The app's 404: for the API and whoever asks for JSON, the one error shape; for people, a page with what
 * they probably meant.
 */
export function notFound(site: () => Site) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    const path = requestPath(request);
    const accept = request.headers.accept ?? '';
    const wantsJson = /^\/(api|hooks)\//.test(path) || (accept.includes('json') && !accept.includes('html'));
    if (wantsJson) return sendError(reply, 404, 'not found', [`${path}: no such page or API`]);
    return sendHtml(reply, notFoundDocument(site(), path, serverLinks(path)), 404);
  };
}
