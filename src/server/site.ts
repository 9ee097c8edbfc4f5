import { RUNBOOKS_PATH, sloPath, WEBHOOK_PATH } from '../conventions/urls.ts';
import { absentContext, type FirstLookQuery, sloSummary, tierContext } from '../runbooks/context.ts';
import { markdownToHtml } from '../runbooks/markdown.ts';
import { type Named, nearMatches, searchPages } from '../runbooks/match.ts';
import { type Catalogue, catalogue, type RunbookPage } from '../runbooks/pages.ts';
import type { AlertSummary, LiveValues, RunbookProviders } from '../runbooks/providers.ts';
import { formatLabels, type LiveState, renderAbsentPage, renderTierPage } from '../runbooks/render.ts';
import { readMarkdownFiles, readSloRunbook } from '../runbooks/sources.ts';
import { templatesFor } from '../runbooks/templates.ts';
import { byService } from '../spec/by-service.ts';
import type { Slo } from '../spec/model.ts';
import { type PageOptions, page } from './layout.ts';
import type { Links } from './links.ts';
import type { LiveIndex, SloLive } from './live.ts';
import { renderView } from './views.ts';

/**
 * The pages burnbook serves and exports, as whole documents. The server and the static
 * export call the same functions with different links, so a page cannot differ between them.
 */

export interface SiteOptions {
  slos: readonly Slo[];
  runbooksDir: string;
  prometheusUrl?: string;
  providers?: RunbookProviders;
}

export interface Site extends SiteOptions {
  /** A static export cannot ask Prometheus or the alert store. */
  output: 'server' | 'static';
  catalogue: Catalogue;
}

const NO_PROMETHEUS = 'No Prometheus configured — start with --prometheus-url to see current values.';
const OPEN_IN_PROMETHEUS = 'Open it in Prometheus to see the current value.';
const STATIC_NO_PROMETHEUS =
  'Run it in Prometheus to see the current value (export with --prometheus-url for links).';
const NO_ALERT_STORE = `No alert store connected: alerts for this page show here once Alertmanager sends them to POST ${WEBHOOK_PATH}.`;
// A page waits this long for Prometheus or the alert store, then says so instead of hanging.
export const PROVIDER_TIMEOUT_MS = 3_000;

/** Reads the runbook directory: per request on the server, so edited markdown shows on reload. */
export function loadSite(options: SiteOptions, output: Site['output']): Site {
  let built: Catalogue | undefined;
  return {
    ...options,
    output,
    // Built on first use: `/` and the SLO pages never read it, and at 10,000 SLOs it costs 0.1–0.3 s.
    get catalogue() {
      built ??= catalogue(options.slos, readMarkdownFiles(options.runbooksDir, options.slos));
      return built;
    },
  };
}

function liveNote(site: Site): string | undefined {
  return site.output === 'server' && !site.prometheusUrl ? NO_PROMETHEUS : undefined;
}

function summaryWithLinks(slo: Slo, links: Links) {
  const summary = sloSummary(slo);
  return {
    ...summary,
    href: links.to(summary.path),
    tiers: summary.tiers.map((t) => ({ ...t, href: links.to(t.path) })),
    absent: summary.absent && { ...summary.absent, href: links.to(summary.absent.path) },
  };
}

/** `/`; with the evaluator's numbers (`live`, server only) one table, least budget left first. */
export function indexDocument(site: Site, links: Links, live?: LiveIndex): string {
  const services = [...byService(site.slos)].map(([name, slos]) => ({
    name,
    slos: slos.map((slo) => summaryWithLinks(slo, links)),
  }));
  const body = renderView('index', { services, liveNote: liveNote(site), live: live ?? null });
  return page({ title: 'SLOs', body, links, nav: 'slos' });
}

/** The SLO page; `live` (server only) adds the current numbers, and `assets` the charts' script. */
export function sloDocument(
  site: Site,
  slo: Slo,
  links: Links,
  live?: SloLive,
  assets?: Pick<PageOptions, 'scripts' | 'scriptFiles' | 'styles'>,
): string {
  const summary = summaryWithLinks(slo, links);
  const body = renderView('slo', {
    ...summary,
    liveNote: liveNote(site),
    sliFields: Object.entries(slo.sli.spec).map(([name, value]) => ({ name, value: String(value) })),
    runbookFound: readSloRunbook(slo, site.runbooksDir)?.text !== undefined,
    live: live ?? null,
  });
  const crumbs = [{ label: 'SLOs', path: '/' }, { label: `${slo.service}/${slo.name}` }];
  return page({ title: `${slo.service}/${slo.name}`, body, links, nav: 'slos', crumbs, ...assets });
}

export function runbookListDocument(site: Site, links: Links, query: string): string {
  const matching = new Set(searchPages(site.catalogue.pages, query));
  const pages = site.catalogue.pages.map((p) => ({
    title: p.title,
    path: p.path,
    href: links.to(p.path),
    kind:
      p.kind === 'tier'
        ? `alert · ${p.tier.severity}`
        : p.kind === 'absent'
          ? `absent SLI · ${p.absent.severity}`
          : 'hand-written',
    searchText: `${p.path} ${p.title}`.toLowerCase(),
    hidden: !matching.has(p),
  }));
  const body = renderView('runbook-list', {
    action: links.to(RUNBOOKS_PATH),
    query,
    pages,
    shown: matching.size,
    total: pages.length,
    problems: site.catalogue.problems,
  });
  return page({ title: 'Runbooks', body, links, nav: 'runbooks' });
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Waits for a provider at most PROVIDER_TIMEOUT_MS, even if it ignores the signal. */
export async function withTimeout<T>(ask: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(PROVIDER_TIMEOUT_MS);
  try {
    return await Promise.race([ask(signal), rejectOnAbort(signal)]);
  } catch (error) {
    if (signal.aborted) throw new Error(`no answer within ${PROVIDER_TIMEOUT_MS / 1000} s`);
    throw error;
  }
}

async function askPrometheus(liveValues: LiveValues, expr: string): Promise<LiveState> {
  try {
    return { kind: 'values', ...(await withTimeout((signal) => liveValues(expr, signal))) };
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
}

function liveStates(site: Site, queries: FirstLookQuery[]): Promise<LiveState[]> {
  const liveValues = site.output === 'server' ? site.providers?.liveValues : undefined;
  if (site.prometheusUrl && liveValues)
    return Promise.all(queries.map((q) => askPrometheus(liveValues, q.expr)));
  const text = site.prometheusUrl
    ? OPEN_IN_PROMETHEUS
    : site.output === 'server'
      ? NO_PROMETHEUS
      : STATIC_NO_PROMETHEUS;
  return Promise.resolve(queries.map(() => ({ kind: 'note', text })));
}

function alertView(alert: AlertSummary, links: Links) {
  return {
    ...alert,
    labels: formatLabels(alert.labels),
    href: alert.path === undefined ? undefined : links.to(alert.path),
  };
}

/** The Alerts section: only the running server has alerts, so the static export leaves it out. */
async function alertsSection(site: Site, path: string, links: Links): Promise<string> {
  if (site.output === 'static') return '';
  const alertsFor = site.providers?.alertsFor;
  if (!alertsFor) return renderView('alerts', { note: NO_ALERT_STORE });
  try {
    const alerts = await withTimeout(() => alertsFor(path));
    return renderView('alerts', {
      none: alerts.length === 0,
      firing: alerts.filter((a) => a.status === 'firing').map((a) => alertView(a, links)),
      resolved: alerts.filter((a) => a.status !== 'firing').map((a) => alertView(a, links)),
    });
  } catch (error) {
    return renderView('alerts', { note: `The alert store did not answer: ${(error as Error).message}` });
  }
}

/** What a tier page and an absent-SLI page take alike: templates, links, and their queries' live values. */
async function alertPageInputs(site: Site, slo: Slo, links: Links, queries: FirstLookQuery[]) {
  const dashboardUrl = site.providers?.dashboardUrl?.(slo);
  return {
    templates: templatesFor(site.runbooksDir, slo),
    linkTo: links.to,
    ...(site.prometheusUrl ? { prometheusUrl: site.prometheusUrl } : {}),
    ...(dashboardUrl ? { dashboardUrl } : {}),
    live: await liveStates(site, queries),
  };
}

async function tierBody(
  site: Site,
  p: Extract<RunbookPage, { kind: 'tier' }>,
  links: Links,
  format: 'html' | 'md',
) {
  const context = tierContext(p.slo, p.tier);
  const runbook = readSloRunbook(p.slo, site.runbooksDir);
  const inputs = await alertPageInputs(site, p.slo, links, context.queries);
  const now = format === 'html' ? (site.providers?.tierNow?.(p.slo, p.tier) ?? null) : null;
  return renderTierPage(
    { context, ...(runbook ? { runbook } : {}), ...inputs, ...(now ? { now } : {}) },
    format,
  );
}

async function absentBody(
  site: Site,
  p: Extract<RunbookPage, { kind: 'absent' }>,
  links: Links,
  format: 'html' | 'md',
) {
  const context = absentContext(p.slo, p.absent);
  return renderAbsentPage(
    { context, ...(await alertPageInputs(site, p.slo, links, context.queries)) },
    format,
  );
}

/** The page's own content: a tier's, the absent-SLI alert's, or a markdown file rendered. */
function pageBody(site: Site, p: RunbookPage, links: Links, format: 'html' | 'md'): string | Promise<string> {
  if (p.kind === 'tier') return tierBody(site, p, links, format);
  if (p.kind === 'absent') return absentBody(site, p, links, format);
  if (format === 'md') return p.markdown;
  return renderView('markdown-page', {
    html: markdownToHtml(p.markdown, {
      sourceDir: p.path.slice(0, p.path.lastIndexOf('/') + 1),
      to: links.to,
    }),
    file: p.file,
  });
}

/** A runbook page as a whole HTML document, or (for the export) as markdown. */
export async function runbookDocument(
  site: Site,
  p: RunbookPage,
  links: Links,
  format: 'html' | 'md',
): Promise<string> {
  if (format === 'md') return pageBody(site, p, links, 'md');
  const [main, alerts] = await Promise.all([
    pageBody(site, p, links, 'html'),
    alertsSection(site, p.path, links),
  ]);
  const crumbs =
    p.kind === 'markdown'
      ? [{ label: 'Runbooks', path: RUNBOOKS_PATH }, { label: p.title }]
      : [
          { label: 'SLOs', path: '/' },
          { label: `${p.slo.service}/${p.slo.name}`, path: sloPath(p.slo) },
          { label: p.title },
        ];
  const title = p.kind === 'markdown' ? p.title : `${p.title} · ${p.slo.service}`;
  return page({ title, body: main + alerts, links, nav: 'runbooks', crumbs });
}

/** Everything a reader might have meant, for "did you mean" on a 404. */
export function allPages(site: Site): Named[] {
  return [
    { path: '/', title: 'SLOs' },
    { path: RUNBOOKS_PATH, title: 'Runbooks' },
    ...site.slos.map((slo) => ({ path: sloPath(slo), title: `SLO ${slo.service}/${slo.name}` })),
    ...site.catalogue.pages,
  ];
}

export function notFoundDocument(site: Site, path: string, links: Links): string {
  const matches = nearMatches(path, allPages(site)).map((p) => ({ ...p, href: links.to(p.path) }));
  const body = renderView('not-found', {
    path,
    matches,
    runbooks: links.to(RUNBOOKS_PATH),
    home: links.to('/'),
  });
  return page({ title: 'Not found', body, links });
}
