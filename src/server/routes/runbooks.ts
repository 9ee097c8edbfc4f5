import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.ts';
import { serverLinks } from '../links.ts';
import { sendHtml } from '../reply.ts';
import {
  indexDocument,
  loadSite,
  notFoundDocument,
  runbookDocument,
  runbookListDocument,
  type Site,
  sloDocument,
} from '../site.ts';

/**
 * The browsable side of burnbook: `/`, `/slos/:service/:slo`, `/runbooks`, `/runbooks/*`,
 * and the 404 page for every path nothing else answers.
 */

export function requestPath(request: FastifyRequest): string {
  return request.url.replace(/[?#].*$/, '');
}

// Paths people paste from a repository or a previous export: the page without the suffix.
const SUFFIX = /(\/|\.md|\.html)$/;

export function runbookRoutes(app: FastifyInstance, context: AppContext): void {
  // The context is read per request, so providers plugged in after startup take effect.
  const site = (): Site =>
    loadSite(
      {
        slos: context.slos,
        runbooksDir: context.runbooksDir,
        ...(context.prometheusUrl ? { prometheusUrl: context.prometheusUrl } : {}),
        providers: context,
      },
      'server',
    );

  app.get('/', async (request, reply) =>
    sendHtml(reply, indexDocument(site(), serverLinks(requestPath(request)))),
  );

  app.get<{ Params: { service: string; slo: string } }>('/slos/:service/:slo', async (request, reply) => {
    const s = site();
    const links = serverLinks(requestPath(request));
    const slo = s.slos.find((x) => x.service === request.params.service && x.name === request.params.slo);
    if (!slo) return sendHtml(reply, notFoundDocument(s, requestPath(request), links), 404);
    return sendHtml(reply, sloDocument(s, slo, links));
  });

  app.get<{ Querystring: { q?: string | string[] } }>('/runbooks', async (request, reply) => {
    const q = request.query.q;
    const query = (Array.isArray(q) ? q.join(' ') : (q ?? '')).trim();
    return sendHtml(reply, runbookListDocument(site(), serverLinks(requestPath(request)), query));
  });

  app.get<{ Params: { '*': string } }>('/runbooks/*', async (request, reply) => {
    const s = site();
    const links = serverLinks(requestPath(request));
    const path = `/runbooks/${request.params['*']}`;
    const found = s.catalogue.pages.find((p) => p.path === path);
    if (found) return sendHtml(reply, await runbookDocument(s, found, links, 'html'));
    const stripped = path.replace(SUFFIX, '');
    if (stripped === '/runbooks' || s.catalogue.pages.some((p) => p.path === stripped)) {
      return reply.redirect(links.to(stripped) ?? stripped, 301);
    }
    return sendHtml(reply, notFoundDocument(s, path, links), 404);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = requestPath(request);
    const accept = request.headers.accept ?? '';
    const wantsJson = /^\/(api|hooks)\//.test(path) || (accept.includes('json') && !accept.includes('html'));
    if (wantsJson) return reply.code(404).send({ error: 'not found', path });
    return sendHtml(reply, notFoundDocument(site(), path, serverLinks(path)), 404);
  });
}
