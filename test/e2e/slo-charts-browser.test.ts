import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { loadSpecs } from '../../src/spec/load.ts';
import { openChromium } from '../support/browser.ts';
import { colourPixels } from '../support/canvas.ts';
import { DAY, HOUR, MINUTE } from '../support/history.ts';
import { type CounterSeries, countersToOpenMetrics } from '../support/openmetrics.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';

/**
 * The SLO page's charts in Chromium, on a month of backfilled traffic for the example specs in
 * slos/: uPlot loads from burnbook under the page's CSP, draws each tier's burn rates against its
 * factor and the budget left, and the page says so plainly once Prometheus is gone.
 */

const OUTPUT = 'test-output';
const PHONE = { width: 375, height: 812 };
const LAPTOP = { width: 1280, height: 900 };

const { slos } = loadSpecs(['slos']);
const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const STEP_SECONDS = 60;
// Three tiers' burn rates, the budget, and requests and errors by the first breakdown label.
const CHARTS = 6;

/** Per second: a steady trickle of 503s, a bad hour yesterday, and a slow burn for the last three hours. */
function checkoutErrors(t: number): number {
  if (t > END - 3 * HOUR) return 0.15;
  if (t > END - 20 * HOUR && t <= END - 19 * HOUR) return 1.5;
  return 0.01;
}

const perStep = (perSecond: (t: number) => number) => (t: number) => perSecond(t) * STEP_SECONDS;
const SERIES: CounterSeries[] = [
  {
    name: 'http_requests_total',
    labels: { job: 'checkout', route: '/pay', code: '200' },
    increment: perStep(() => 10),
  },
  {
    name: 'http_requests_total',
    labels: { job: 'checkout', route: '/pay', code: '503' },
    increment: perStep(checkoutErrors),
  },
  ...['a', 'b'].flatMap((tenant): CounterSeries[] => [
    {
      name: 'search_requests_total',
      labels: { job: 'search', tenant, index: 'products', instance: 'i1', status: 'ok' },
      increment: perStep(() => 20),
    },
    {
      name: 'search_requests_total',
      labels: { job: 'search', tenant, index: 'products', instance: 'i1', status: 'error' },
      increment: perStep((t) => (tenant === 'a' && t > END - 90 * MINUTE ? 2 : 0.002)),
    },
  ]),
];

let prometheus: RunningPrometheus;
let app: FastifyInstance;
let base: string;
let browser: BrowserContext;
let page: Page;
let userDataDir: string;
let problems: string[];

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  prometheus = await startPrometheus({
    backfillOpenMetrics: countersToOpenMetrics(SERIES, {
      start: new Date(END - 31 * DAY),
      end: new Date(END),
      stepSeconds: STEP_SECONDS,
    }),
  });
  userDataDir = mkdtempSync(join(tmpdir(), 'burnbook-chromium-'));
  app = await buildApp({
    slos,
    externalUrl: 'http://127.0.0.1',
    runbooksDir: 'runbooks',
    dataDir: join(userDataDir, 'data'),
    prometheusUrl: prometheus.url,
    evaluationIntervalMs: 500,
    prometheusAccess: { timeoutMs: 5_000 },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  const deadline = Date.now() + 20_000;
  while (app.evaluation?.latest().state !== 'ok') {
    if (Date.now() > deadline) throw new Error('the evaluator never finished a clean evaluation');
    await new Promise((r) => setTimeout(r, 100));
  }
  // A CSP violation (the chart library or a script whose hash does not match) lands in problems.
  ({ browser, page, problems } = await openChromium(base, userDataDir, LAPTOP));
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await prometheus?.stop();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** Pixels of a chart's canvas drawn in the color of the page's CSS variable (a series' stroke). */
async function pixelsIn(figure: string, cssVariable: string): Promise<number> {
  return (await colourPixels(page, figure, cssVariable)).count;
}

async function chartsDrawn(count: number): Promise<void> {
  await page
    .locator('figure.chart canvas')
    .nth(count - 1)
    .waitFor({ timeout: 15_000 });
  expect(await page.locator('figure.chart canvas').count()).toBe(count);
}

async function horizontalOverflow(): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe('SLO page charts in Chromium', () => {
  it('/ leads with the SLO that has the least budget left', async () => {
    await page.goto(`${base}/`);
    const first = await page.locator('table.live-slos tbody tr').first().getAttribute('data-slo');
    expect(first).toBe('search/tenant-availability');
    const budgets = (await page.locator('table.live-slos [data-budget]').allTextContents())
      .filter((t) => t.endsWith('%'))
      .map((t) => Number.parseFloat(t));
    expect(budgets.length).toBeGreaterThan(1);
    expect(budgets).toEqual([...budgets].sort((a, b) => a - b));
    await page.screenshot({ path: join(OUTPUT, 'index-live-laptop.png'), fullPage: true });
  });

  it('draws burn rates per tier against the factor, and the budget left', async () => {
    const started = Date.now();
    await page.goto(`${base}/slos/checkout/availability`);
    await chartsDrawn(CHARTS);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await page.locator('[data-chart-status]').textContent()).toBe('');
    for (const tier of ['fast', 'slow', 'very-slow']) {
      const figure = `figure[data-tier="${tier}"]`;
      expect(await pixelsIn(figure, '--link'), `${tier} long window line`).toBeGreaterThan(100);
      expect(await pixelsIn(figure, '--page'), `${tier} threshold line`).toBeGreaterThan(100);
    }
    expect(await pixelsIn('figure[data-budget-chart]', '--ok'), 'budget line').toBeGreaterThan(100);
    // The legend names each line; uPlot writes it as text.
    expect(await page.locator('figure[data-tier="fast"] .u-legend').textContent()).toContain(
      'fires above 14.4×',
    );
    await page.screenshot({ path: join(OUTPUT, 'slo-charts-laptop.png'), fullPage: true });
  });

  it('switches range with a link, and fits a phone', async () => {
    await page.getByRole('navigation', { name: 'Chart range' }).getByRole('link', { name: '7d' }).click();
    await page.waitForURL(/range=7d/);
    await chartsDrawn(CHARTS);
    expect(await page.locator('nav.ranges a[aria-current]').textContent()).toBe('7d');
    await page.setViewportSize(PHONE);
    await page.goto(`${base}/slos/checkout/availability?range=24h`);
    await chartsDrawn(CHARTS);
    expect(await horizontalOverflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(OUTPUT, 'slo-charts-phone.png'), fullPage: true });
    await page.locator('#history').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUTPUT, 'slo-charts-phone-history.png') });
    await page.setViewportSize(LAPTOP);
  });

  it('charts the most urgent group of a groupBy SLO and offers the others', async () => {
    await page.goto(`${base}/slos/search/tenant-availability`);
    await chartsDrawn(CHARTS);
    const shown = page.locator('p', { hasText: 'Numbers and charts for' });
    expect(await shown.textContent()).toBe('Numbers and charts for {tenant="a"}.');
    expect(await page.locator('ul.groups a[aria-current]').textContent()).toBe('{tenant="a"}');
    await page.locator('ul.groups').getByRole('link', { name: '{tenant="b"}' }).click();
    await chartsDrawn(CHARTS);
    expect(await shown.textContent()).toBe('Numbers and charts for {tenant="b"}.');
    expect(await page.locator('[data-chart-status]').textContent()).toBe('');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await chartsDrawn(CHARTS);
    await page.screenshot({ path: join(OUTPUT, 'slo-charts-group-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('with Prometheus gone, the page says so where the charts were, at once', async () => {
    await prometheus.stop();
    const deadline = Date.now() + 15_000;
    while (app.evaluation?.latest().state !== 'failed') {
      if (Date.now() > deadline) throw new Error('the evaluator never noticed Prometheus was gone');
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = Date.now();
    await page.goto(`${base}/slos/checkout/availability`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await page.locator('.banner.failed').first().textContent()).toContain(
      'Prometheus is not answering',
    );
    expect(await page.locator('#history ~ .banner.failed').textContent()).toContain(
      'No charts while Prometheus is not answering',
    );
    expect(await page.locator('canvas').count()).toBe(0);
    await page.screenshot({ path: join(OUTPUT, 'slo-charts-prometheus-down.png'), fullPage: true });
  });

  it('loaded nothing from elsewhere and logged no errors (no CSP violations)', () => {
    expect(problems).toEqual([]);
  });
});
