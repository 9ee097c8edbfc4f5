import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstLookQueries } from '../src/runbooks/context.ts';
import type { AlertSummary, LiveAnswer } from '../src/runbooks/providers.ts';
import type { ServerOptions } from '../src/server/app.ts';
import { errorBodySchema } from '../src/server/errors.ts';
import { PROVIDER_TIMEOUT_MS } from '../src/server/site.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { testApp } from './support/app.ts';

const { slos } = loadSpecs(['slos']);
const checkout = slos.find((s) => s.service === 'checkout' && s.name === 'availability');
const PROMETHEUS = 'http://prometheus.test:9090';

let app: FastifyInstance;

beforeAll(async () => {
  app = await testApp({
    slos,
  });
});

afterAll(async () => {
  await app?.close();
});

async function get(url: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, headers });
}

function hrefs(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map((m) => (m[1] ?? '').replace(/&#x2F;/g, '/'));
}

/** Resolves a relative href the way a browser does on the page at `from`. */
function resolveHref(from: string, href: string): string {
  return new URL(href, `http://burnbook.test${from}`).pathname;
}

describe('server pages without Prometheus', () => {
  it('/ lists every service and SLO, and every link on it leads to a page', async () => {
    const response = await get('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const slo of slos) {
      expect(response.body).toContain(`<h2 id="service-${slo.service}">`);
      expect(response.body).toContain(`>${slo.name}</a>`);
    }
    expect(response.body).toContain(
      'No Prometheus configured — start with --prometheus-url to see current values.',
    );
    const targets = hrefs(response.body).map((h) => resolveHref('/', h));
    expect(targets).toContain('/runbooks/checkout/availability-fast-burn');
    for (const target of targets.filter((t) => t !== '/alerts')) {
      expect((await get(target)).statusCode, target).toBe(200);
    }
  });

  it('/slos/:service/:slo shows tiers with thresholds and links to their runbooks', async () => {
    const response = await get('/slos/checkout/availability');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<td class="num" data-label="Threshold">0.072</td>');
    expect(response.body).toContain('<td class="num" data-label="Burn factor">14.4×</td>');
    expect(response.body).toContain('216 min');
    const targets = hrefs(response.body).map((h) => resolveHref('/slos/checkout/availability', h));
    expect(targets).toEqual(
      expect.arrayContaining([
        '/runbooks/checkout/availability-fast-burn',
        '/runbooks/checkout/availability-slow-burn',
        '/runbooks/checkout/availability-very-slow-burn',
      ]),
    );
    expect((await get('/slos/checkout/nope')).statusCode).toBe(404);
  });

  it('/runbooks lists generated and markdown pages; ?q= filters without JavaScript', async () => {
    const all = await get('/runbooks');
    expect(all.body).toContain('>availability-fast-burn</a>');
    expect(all.body).toContain('>Tenant incident</a>');
    expect(all.body).toContain('>availability-sli-absent</a>');
    expect(all.body).not.toMatch(/<li[^>]* hidden>/);
    const some = await get('/runbooks?q=tenant+fast');
    const shown = [...some.body.matchAll(/<li data-name="[^"]*"><a href="([^"]*)"/g)].map((m) => m[1]);
    expect(shown).toEqual(['runbooks&#x2F;search&#x2F;tenant-availability-fast-burn']);
    // 5 SLOs: 13 tiers and 5 absent-SLI alerts, and 2 markdown pages.
    expect(some.body).toContain('1 of 20');
  });

  it("serves the absent-SLI alert's page: what is missing, the queries that find it, how to switch it off", async () => {
    const html = (await get('/runbooks/checkout/latency-sli-absent')).body;
    expect(html).toContain('<h1>latency-sli-absent</h1>');
    expect(html).toContain('the bucket <code>le="0.3"</code>');
    expect(html).toContain('<h3>The buckets the histogram has</h3>');
    expect(html).toContain(
      'count by (le) (http_request_duration_seconds_bucket{job&#x3D;&quot;checkout&quot;})',
    );
    expect(html).toContain('<code>absent: false</code> switches it off for this SLO');
    expect(html).toContain('<h2 id="alerts">Alerts</h2>');
    const slo = (await get('/slos/checkout/latency')).body;
    expect(slo).toMatch(
      /<p id="absent-alert">When the SLI reads nothing for \d+m: <a href="[^"]*latency-sli-absent"/,
    );
  });

  it('says where live values would be, and offers no Prometheus link', async () => {
    const html = (await get('/runbooks/checkout/availability-fast-burn')).body;
    expect(html.match(/No Prometheus configured — start with --prometheus-url/g)?.length).toBe(4);
    expect(html).not.toContain('Open in Prometheus');
    expect(html).toContain('<h2 id="alerts">Alerts</h2>');
    // The app opens the alert store in its data dir, which has no alerts yet.
    expect(html).toContain('No alerts recorded for this page yet.');
  });

  it('an unknown path gives a 404 page listing near matches', async () => {
    const response = await get('/runbooks/checkout/availabilty-fast-burn');
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('<h2>Did you mean</h2>');
    const matches = response.body.slice(response.body.indexOf('Did you mean'));
    const suggested = hrefs(matches).map((h) => resolveHref('/runbooks/checkout/availabilty-fast-burn', h));
    expect(suggested[0]).toBe('/runbooks/checkout/availability-fast-burn');

    const elsewhere = await get('/runbook/tenant-incident');
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.body.replace(/&#x2F;/g, '/')).toContain(
      '<code class="muted">/runbooks/platform/tenant-incident</code>',
    );

    const nothingClose = await get('/zzzzzzzzzz');
    expect(nothingClose.statusCode).toBe(404);
    expect(nothingClose.body).not.toContain('Did you mean');
  });

  it('API clients get JSON 404s; pasted .md paths and trailing slashes redirect', async () => {
    const api = await get('/api/v1/nothing');
    expect(api.statusCode).toBe(404);
    expect(errorBodySchema.parse(api.json())).toEqual({
      error: 'not found',
      problems: ['/api/v1/nothing: no such page or API'],
    });
    const md = await get('/runbooks/platform/tenant-incident.md');
    expect(md.statusCode).toBe(301);
    expect(resolveHref('/runbooks/platform/tenant-incident.md', md.headers.location as string)).toBe(
      '/runbooks/platform/tenant-incident',
    );
    const slash = await get('/runbooks/');
    expect(resolveHref('/runbooks/', slash.headers.location as string)).toBe('/runbooks');
  });

  it('/healthz and /metrics, counted by route pattern', async () => {
    expect((await get('/healthz')).json()).toMatchObject({ status: 'ok', slos: slos.length });
    await get('/runbooks/checkout/availability-slow-burn');
    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(
      /burnbook_http_requests_total\{method="GET",route="\/runbooks\/\*",code="200"\} \d+/,
    );
    expect(metrics).not.toContain('availability-slow-burn');
  });
});

describe('server pages with providers plugged in', () => {
  // A Prometheus the pages link to, with no evaluator asking it: the providers stand in for it.
  const appWith = (options: Partial<ServerOptions>) => testApp({ slos, evaluation: null, ...options });

  it('shows live values from the provider, escaped, and links queries to Prometheus', async () => {
    if (!checkout) throw new Error('checkout/availability missing from slos/');
    const fast = checkout.alerting.tiers[0];
    if (!fast) throw new Error('no tiers');
    const asked: string[] = [];
    const live = await appWith({
      prometheusUrl: PROMETHEUS,
      providers: {
        liveValues: async (expr): Promise<LiveAnswer> => {
          asked.push(expr);
          return { samples: [{ labels: { route: '/pay"<b>' }, value: 0.1234567 }], omitted: 0 };
        },
      },
    });
    try {
      const html = (await live.inject('/runbooks/checkout/availability-fast-burn')).body;
      expect(asked).toEqual(firstLookQueries(checkout, fast).map((q) => q.expr));
      expect(html).toContain('<code>{route&#x3D;&quot;&#x2F;pay\\&quot;&lt;b&gt;&quot;}</code>');
      // 0.1235 is above the 0.072 threshold on confirm and trend; a scope share is not compared.
      expect(html.match(/<td class="num above">0.1235<\/td>/g)).toHaveLength(2);
      const prometheusLinks = hrefs(html).filter((h) => h.startsWith(PROMETHEUS));
      expect(prometheusLinks).toHaveLength(4);
      const first = new URL((prometheusLinks[0] ?? '').replace(/&amp;/g, '&').replace(/&#x3D;/g, '='));
      expect(first.pathname).toBe('/graph');
      expect(first.searchParams.get('g0.expr')).toBe(asked[0]);
      expect(first.searchParams.get('g0.tab')).toBe('0');
    } finally {
      await live.close();
    }
  });

  it('a provider that hangs makes the page say so within the timeout', async () => {
    const hanging = await appWith({
      prometheusUrl: PROMETHEUS,
      providers: { liveValues: () => new Promise(() => {}) },
    });
    try {
      const started = Date.now();
      const response = await hanging.inject('/runbooks/checkout/availability-fast-burn');
      expect(response.statusCode).toBe(200);
      // Every query waits out the same timeout at once: well under two timeouts even on a loaded machine,
      // where queries waited one after another would take one each.
      expect(Date.now() - started).toBeLessThan(2 * PROVIDER_TIMEOUT_MS);
      expect(response.body).toContain(
        `Prometheus did not answer: no answer within ${PROVIDER_TIMEOUT_MS / 1000} s`,
      );
    } finally {
      await hanging.close();
    }
  });

  it('lists the alerts the store links to the page, firing first, and the dashboard', async () => {
    const seen: string[] = [];
    const alerts: AlertSummary[] = [
      {
        status: 'resolved',
        startsAt: '2026-11-01T10:00:00Z',
        endsAt: '2026-11-01T10:30:00Z',
        labels: { slo: 'availability' },
        summary: 'old <i>one</i>',
      },
      {
        status: 'firing',
        startsAt: '2026-11-22T22:00:00Z',
        labels: { slo: 'availability', severity: 'page' },
        path: '/alerts/7',
      },
    ];
    const plugged = await appWith({
      providers: {
        alertsFor: (path) => {
          seen.push(path);
          return alerts;
        },
        dashboardUrl: (slo) => `https://grafana.test/d/${slo.service}`,
      },
    });
    try {
      const html = (await plugged.inject('/runbooks/checkout/availability-fast-burn')).body;
      expect(seen).toEqual(['/runbooks/checkout/availability-fast-burn']);
      const section = html.slice(html.indexOf('<h2 id="alerts">'));
      expect(section.indexOf('Firing now')).toBeLessThan(section.indexOf('Recent'));
      expect(section).toContain('<a href="..&#x2F;..&#x2F;alerts&#x2F;7">2026-11-22T22:00:00Z</a>');
      expect(section).toContain('old &lt;i&gt;one&lt;&#x2F;i&gt;');
      expect(html).toContain('<a href="https:&#x2F;&#x2F;grafana.test&#x2F;d&#x2F;checkout">Dashboard</a>');
    } finally {
      await plugged.close();
    }
  });
});
