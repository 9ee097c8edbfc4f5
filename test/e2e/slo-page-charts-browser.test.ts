import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationProvider } from '../../src/evaluator/plugin.ts';
import { testApp } from '../support/app.ts';
import { type OpenBrowser, openChromium } from '../support/browser.ts';
import { colourPixels } from '../support/canvas.ts';
import {
  DAY,
  gauge,
  historyToOpenMetrics,
  MINUTE,
  requestCounters,
  type SeriesHistory,
  type Timeline,
} from '../support/history.ts';
import { freePort } from '../support/ports.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom } from '../support/promtool-scenario.ts';
import { until } from '../support/wait.ts';

/**
 * The SLO page's charts of issue 16, in Chromium, against a real Prometheus holding two days of history
 * that the test wrote itself: the range the page opens on covers the last incident, its pending and
 * firing periods (backfilled `ALERTS`, as Prometheus writes them) are shaded, every tier's threshold is in
 * view at 0.5× and at 500×, the budget reads "−…%" once overspent and is drawn from a young SLO's first
 * minute, requests and errors are split by the first breakdown label, and availability has its own tile.
 */

const SPEC = `
apiVersion: burnbook/v1
service: shop
slos:
  - name: availability
    objective: 99.5
    breakdown: [route, code]
    sli: {ratio: {errors: 'shop_requests_total{code="500"}', total: shop_requests_total}}
  - name: calm
    objective: 99.9
    sli: {ratio: {errors: 'calm_requests_total{code="500"}', total: calm_requests_total}}
  - name: hot
    objective: 99.9
    sli: {ratio: {errors: 'hot_requests_total{code="500"}', total: hot_requests_total}}
  - name: young
    objective: 99.9
    sli: {ratio: {errors: 'young_requests_total{code="500"}', total: young_requests_total}}
  - name: tenants
    objective: 99.9
    groupBy: [tenant]
    sli: {ratio: {errors: 'tenant_requests_total{code="500"}', total: tenant_requests_total}}
`;
const slos = slosFrom(SPEC);
const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline: Timeline = { start: END - 2 * DAY, end: END, stepMs: MINUTE };
const YOUNG_SINCE = END - 40 * MINUTE;
// The incident: the fast tier pended two minutes, fired for half an hour, and ended two hours ago.
const PENDING_FROM = END - 158 * MINUTE;
const FIRING_FROM = END - 156 * MINUTE;
const FIRING_UNTIL = END - 125 * MINUTE;
const GAUGE_FROM = END - 180 * MINUTE;
const GAUGE_UNTIL = END - 150 * MINUTE;
// Ten routes, one named to break out of the page if it were not escaped; eight are drawn.
const NASTY_ROUTE = '</code><img src=x onerror="window.pwned=1">';
const ROUTES = [NASTY_ROUTE, ...Array.from({ length: 9 }, (_, i) => `/r${i}`)];
// Per minute. The nasty route has the most requests and /r0 the most errors, so both are among those drawn.
const routeRate = (route: string) => (route === NASTY_ROUTE ? 200 : 100);
function routeErrors(t: number, route: string): number {
  if (route !== '/r0') return 0.1;
  return t > FIRING_FROM - 5 * MINUTE && t <= FIRING_UNTIL ? 50 : 0.3;
}
const SCREENSHOTS = mkdtempSync(join(tmpdir(), 'burnbook-slo-page-charts-'));

function history(): SeriesHistory[] {
  const routes = ROUTES.flatMap((route) =>
    requestCounters(timeline, 'shop_requests_total', {
      labels: { route },
      errors: (t) => routeErrors(t, route),
      total: () => routeRate(route),
    }),
  );
  const steady = (metric: string, errors: number, from: Timeline = timeline) =>
    requestCounters(from, metric, { labels: {}, errors: () => errors, total: () => 1000 });
  const alerts = (
    state: string,
    from: number,
    until: number,
    slo = 'availability',
    more = {},
  ): SeriesHistory => ({
    name: 'ALERTS',
    labels: {
      alertname: `${slo}-fast-burn`,
      alertstate: state,
      slo_service: 'shop',
      slo,
      slo_tier: 'fast',
      severity: 'page',
      ...more,
    },
    points: gauge(timeline, (t) => (t >= from && t < until ? 1 : undefined)),
  });
  return [
    ...routes,
    ...steady('calm_requests_total', 0.5),
    ...steady('hot_requests_total', 500),
    ...steady('young_requests_total', 16, { ...timeline, start: YOUNG_SINCE }),
    alerts('pending', PENDING_FROM, FIRING_FROM),
    alerts('firing', FIRING_FROM, FIRING_UNTIL),
    ...['a', 'b'].flatMap((tenant) =>
      requestCounters(timeline, 'tenant_requests_total', {
        labels: { tenant },
        errors: () => 0.1,
        total: () => 1000,
      }),
    ),
    // burnbook's evaluator fired calm's slow tier 3 h ago, as its gauge says where Prometheus scrapes burnbook.
    {
      name: 'burnbook_slo_tier_firing',
      labels: { service: 'shop', slo: 'calm', tier: 'slow', job: 'burnbook' },
      points: gauge(timeline, (t) => (t > GAUGE_FROM && t <= GAUGE_UNTIL ? 1 : 0)),
    },
    // Only tenant a fired, a day ago.
    alerts('firing', END - DAY, END - DAY + 20 * MINUTE, 'tenants', { tenant: 'a' }),
  ];
}

/** Availability over the two days, from the test's own increments. */
function expectedAvailability(): number {
  let errors = 0;
  let total = 0;
  for (let t = timeline.start + MINUTE; t <= END; t += MINUTE) {
    for (const route of ROUTES) {
      errors += routeErrors(t, route);
      total += routeRate(route);
    }
  }
  return 100 * (1 - errors / total);
}

let prometheus: RunningPrometheus;
let app: FastifyInstance;
let base: string;
let chromium: OpenBrowser;
let userDataDir: string;

beforeAll(async () => {
  prometheus = await startPrometheus({ backfillOpenMetrics: historyToOpenMetrics(history()) });
  app = await testApp({ slos, prometheusUrl: prometheus.url, evaluationIntervalMs: 500 });
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  base = `http://127.0.0.1:${port}`;
  await until(
    'the evaluator holding the hot SLO pending or firing',
    () => (app.evaluation as EvaluationProvider).latest().slos.find((s) => s.slo === 'hot')?.tiers[0]?.state,
    (state) => state === 'pending' || state === 'firing',
    30_000,
  );
  userDataDir = mkdtempSync(join(tmpdir(), 'burnbook-chromium-'));
  chromium = await openChromium(base, userDataDir, { width: 1200, height: 900 });
}, 120_000);

afterAll(async () => {
  await chromium?.browser.close();
  await app?.close();
  await prometheus?.stop();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function openCharts(path: string): Promise<void> {
  const { page } = chromium;
  await page.goto(`${base}${path}`);
  await page.locator('figure[data-budget-chart] canvas').waitFor({ timeout: 20_000 });
}

const currentRange = () => chromium.page.locator('nav.ranges a[aria-current]').textContent();

/** The row of a tier chart's dashed threshold (the most pixels of its colour), as a share of the canvas height. */
async function thresholdRow(figure: string): Promise<number> {
  const { rows, height } = await colourPixels(chromium.page, figure, '--page');
  const top = rows.indexOf(Math.max(...rows));
  expect(rows[top], `${figure}: a threshold line is drawn`).toBeGreaterThan(100);
  return top / height;
}

describe('SLO page charts in Chromium (issue 16)', () => {
  it('opens on a range that covers the last incident (ALERTS, or burnbook’s evaluator), and on 24h without one', async () => {
    await openCharts('/slos/shop/availability');
    // The incident began 2 h 38 min ago: 3h would show it with little before, 6h does.
    expect(await currentRange()).toBe('6h');
    expect(await chromium.page.locator('[data-range-opened]').textContent()).toMatch(
      /^Showing 6h: the last incident began \d{4}-\d\d-\d\d/,
    );
    // burnbook is calm's alert engine: its firing gauge, 3 h ago, is the last incident.
    await openCharts('/slos/shop/calm');
    expect(await currentRange()).toBe('6h');
    expect(await chromium.page.locator('figure[data-tier="slow"] [data-alert-periods]').textContent()).toBe(
      `firing ${new Date(GAUGE_FROM + MINUTE).toISOString().slice(0, 16).replace('T', ' ')}–${new Date(GAUGE_UNTIL).toISOString().slice(11, 16)} UTC (from Prometheus's ALERTS and burnbook's evaluator).`,
    );
    const shaded = await colourPixels(chromium.page, 'figure[data-tier="slow"]', '--page', [30, 70]);
    expect(shaded.columns.filter((n) => n > shaded.height / 3).length).toBeGreaterThan(0);
    // burnbook's evaluator holds the hot SLO's tiers pending since the server started: 1h shows that period.
    await openCharts('/slos/shop/hot');
    expect(await currentRange()).toBe('1h');
    expect(
      await chromium.page.locator('figure[data-tier="fast"] [data-alert-periods]').textContent(),
    ).toMatch(/(pending|firing) \d{4}-\d\d-\d\d \d\d:\d\d–now/);
    // A groupBy SLO's page opens on the charted group's last incident: tenant a fired a day ago, b never did.
    await openCharts('/slos/shop/tenants?group.tenant=a');
    expect(await currentRange()).toBe('7d');
    await openCharts('/slos/shop/tenants?group.tenant=b');
    expect(await currentRange()).toBe('24h');
    expect(await chromium.page.locator('[data-range-opened]').count()).toBe(0);
    // A range asked for is kept.
    await openCharts('/slos/shop/availability?range=7d');
    expect(await currentRange()).toBe('7d');
  });

  it('shades the periods ALERTS held pending and firing, and lists them', async () => {
    await openCharts('/slos/shop/availability');
    const figure = 'figure[data-tier="fast"]';
    const firing = await colourPixels(chromium.page, figure, '--page', [30, 70]);
    const pending = await colourPixels(chromium.page, figure, '--ticket', [30, 70]);
    // Half an hour of a 6h chart is about a twelfth of its width, over the whole plot's height.
    const firingColumns = firing.columns.filter((n) => n > firing.height / 3).length;
    expect(firingColumns / firing.width).toBeGreaterThan(0.06);
    expect(firingColumns / firing.width).toBeLessThan(0.12);
    expect(pending.columns.filter((n) => n > pending.height / 3).length).toBeGreaterThan(0);
    const note = await chromium.page.locator(`${figure} [data-alert-periods]`).textContent();
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    expect(note).toContain(`–${hhmm(FIRING_UNTIL - MINUTE)}`);
    expect(note).toMatch(/^firing \d{4}-\d\d-\d\d \d\d:\d\d–\d\d:\d\d, pending /);
    expect(note).toContain("(from Prometheus's ALERTS and burnbook's evaluator");
    // The slow tier never pended: no shade, and it says so.
    const slow = await colourPixels(chromium.page, 'figure[data-tier="slow"]', '--page', [30, 70]);
    expect(slow.columns.filter((n) => n > slow.height / 3).length).toBe(0);
    expect(
      await chromium.page.locator('figure[data-tier="slow"] [data-alert-periods]').textContent(),
    ).toMatch(/^Neither pending nor firing in this range/);
    await chromium.page.screenshot({ path: join(SCREENSHOTS, 'availability-incident.png'), fullPage: true });
  });

  it("keeps every tier's threshold in the plot, clear of its edges, at 0.5× and at 500×", async () => {
    for (const slo of ['calm', 'hot']) {
      await openCharts(`/slos/shop/${slo}?range=24h`);
      for (const tier of ['fast', 'slow', 'very-slow']) {
        const row = await thresholdRow(`figure[data-tier="${tier}"]`);
        // The plot fills the canvas above its time axis (the bottom quarter or so).
        expect(row, `${slo} ${tier}`).toBeGreaterThan(0.05);
        expect(row, `${slo} ${tier}`).toBeLessThan(0.7);
      }
      await chromium.page.screenshot({ path: join(SCREENSHOTS, `${slo}-burn.png`), fullPage: true });
    }
  });

  it('labels an overspent budget with a minus sign', async () => {
    await openCharts('/slos/shop/hot?range=24h');
    const plot = chromium.page.locator('figure[data-budget-chart] .u-over');
    await plot.hover();
    const legend = await chromium.page.locator('figure[data-budget-chart] .u-legend').textContent();
    expect(legend).toMatch(/budget left\s*−\d+%/);
    expect(legend).not.toMatch(/-\d+%/);
    await chromium.page
      .locator('figure[data-budget-chart]')
      .screenshot({ path: join(SCREENSHOTS, 'hot-budget.png') });
  });

  it("draws a young SLO's budget from its first minute, and its availability on what data there is", async () => {
    await openCharts('/slos/shop/young?range=1h');
    const { columns, width } = await colourPixels(chromium.page, 'figure[data-budget-chart]', '--ok');
    const drawn = columns.flatMap((n, x) => (n > 0 ? [x] : []));
    // 40 minutes of data in a 1h chart: the line spans well over half its width.
    expect(((drawn.at(-1) ?? 0) - (drawn[0] ?? 0)) / width).toBeGreaterThan(0.5);
    const tile = chromium.page.locator('[data-availability]');
    expect(await tile.locator('dd > span').textContent()).toMatch(/^98\.\d+%$/);
    expect(await tile.locator('[data-availability-basis]').textContent()).toMatch(
      /^based on 4[0-3] min of data$/,
    );
    await chromium.page.screenshot({ path: join(SCREENSHOTS, 'young.png'), fullPage: true });
  });

  it('shows availability over the period against the objective', async () => {
    await openCharts('/slos/shop/availability');
    const tile = chromium.page.locator('[data-availability]');
    const shown = Number.parseFloat((await tile.locator('dd > span').textContent()) ?? '');
    expect(Math.abs(shown - expectedAvailability())).toBeLessThan(0.02);
    expect(await tile.locator('small').textContent()).toMatch(/meets the objective of 99\.5%, based on/);
  });

  it('splits requests and errors by the first breakdown label: eight routes drawn, escaped, the rest counted', async () => {
    await openCharts('/slos/shop/availability');
    for (const chart of ['requests', 'errors']) {
      const figure = chromium.page.locator(`figure[data-breakdown="${chart}"]`);
      await figure.locator('canvas').waitFor();
      expect(await figure.locator('figcaption').textContent()).toContain('by route');
      const labels = await figure.locator('.u-legend .u-series .u-label').allTextContents();
      expect(labels.length - 1, `${chart} series`).toBe(8);
      expect(await figure.locator('.note').textContent()).toContain('2 more values of route are not drawn');
    }
    // The route that errs most is among the errors drawn; the nasty one is text, never markup.
    const errors = await chromium.page.locator('figure[data-breakdown="errors"] .u-legend').textContent();
    expect(errors).toContain('/r0');
    const requests = await chromium.page.locator('figure[data-breakdown="requests"] .u-legend').textContent();
    expect(requests).toContain(NASTY_ROUTE);
    expect(await chromium.page.locator('figure img').count()).toBe(0);
    expect(await chromium.page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    await chromium.page.locator('figure[data-breakdown="errors"]').scrollIntoViewIfNeeded();
    await chromium.page.screenshot({ path: join(SCREENSHOTS, 'breakdown.png'), fullPage: true });
  });

  it('loaded nothing from elsewhere and logged no errors', () => {
    expect(chromium.problems).toEqual([]);
  });
});
