import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationProvider } from '../../src/evaluator/plugin.ts';
import { testApp } from '../support/app.ts';
import { type OpenBrowser, openChromium } from '../support/browser.ts';
import { DAY, historyToOpenMetrics, MINUTE, requestCounters, type Timeline } from '../support/history.ts';
import { freePort } from '../support/ports.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom } from '../support/promtool-scenario.ts';
import { until } from '../support/wait.ts';

/**
 * The pages of the moment of an incident, in Chromium: a runbook page of a firing tier opens with its live
 * state, an alert page tells burn start, firing and first delivery apart and names the service, and every
 * live page has an auto-refresh toggle that print hides. A real Prometheus holds two days of history whose
 * last 30 minutes are a 20% error burn; the fast tier has no `for`, so the evaluator fires it at once.
 */

const SPEC = `
apiVersion: burnbook/v1
service: shop
slos:
  - name: availability
    objective: 99.5
    sli: {ratio: {errors: 'shop_requests_total{code="500"}', total: shop_requests_total}}
    alerting:
      tiers:
        - {name: fast, budgetPercent: 2, long: 1h, short: 5m, for: 0s, severity: page}
        - slow
`;
const slos = slosFrom(SPEC);
const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline: Timeline = { start: END - 2 * DAY, end: END, stepMs: MINUTE };
const SCREENSHOTS = mkdtempSync(join(tmpdir(), 'burnbook-incident-pages-'));

let prometheus: RunningPrometheus;
let app: FastifyInstance;
let base: string;
let chromium: OpenBrowser;

beforeAll(async () => {
  const series = requestCounters(timeline, 'shop_requests_total', {
    labels: {},
    errors: (t) => (t > END - 30 * MINUTE ? 200 : 1),
    total: () => 1000,
  });
  prometheus = await startPrometheus({ backfillOpenMetrics: historyToOpenMetrics(series) });
  app = await testApp({ slos, prometheusUrl: prometheus.url, evaluationIntervalMs: 500 });
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  base = `http://127.0.0.1:${port}`;
  await until(
    'the fast tier firing',
    () => (app.evaluation as EvaluationProvider).latest().slos[0]?.tiers[0]?.state,
    (state) => state === 'firing',
    30_000,
  );
  chromium = await openChromium(base, mkdtempSync(join(tmpdir(), 'burnbook-chromium-')), {
    width: 1200,
    height: 900,
  });
}, 120_000);

afterAll(async () => {
  await chromium?.browser.close();
  await app?.close();
  await prometheus?.stop();
});

describe('pages for the moment of an incident, in Chromium', () => {
  it('a firing tier’s runbook page opens with its live state and says when it resolves', async () => {
    const { page } = chromium;
    await page.goto(`${base}/runbooks/shop/availability-fast-burn`);
    const now = page.locator('#now');
    await expect.poll(() => now.locator('h2').textContent()).toBe('Now: firing');
    const facts = await now.locator('dt').allTextContents();
    expect(facts).toEqual(['Firing since', 'Burn now', 'Budget gone in', 'Error ratio over 1h']);
    // 30 minutes of 20% errors after 1h30 of 0.1%: the 1h window reads about 10%, 20× a 0.5% budget.
    const burn = Number.parseFloat((await now.locator('dd').nth(1).textContent()) ?? '');
    expect(burn).toBeGreaterThan(15);
    expect(burn).toBeLessThan(25);
    // Gone in at that burn: the budget left of 30 days at ~20×, about a day and a half, not the tier's 50 h.
    expect(await now.locator('dd').nth(2).textContent()).toMatch(/^\d+(\.\d+)? (h|d)/);
    expect(await page.locator('#meaning + p').textContent()).toContain(
      'It resolves when either window, 1h or 5m, drops under 0.072, and the error ratio over the last 5m is at or under 0.03',
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'runbook-firing.png'), fullPage: false });
    expect(chromium.problems).toEqual([]);
  });

  it('an alert page tells when the burn began, when it fired and when it was first delivered, and names the service', async () => {
    const startsAt = new Date(Date.now() - 20 * MINUTE).toISOString();
    const response = await fetch(`${base}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: '{}:{slo_service="shop", slo="availability"}',
        status: 'firing',
        receiver: 'burnbook',
        groupLabels: { slo_service: 'shop', slo: 'availability' },
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://alertmanager.test',
        truncatedAlerts: 0,
        alerts: [
          {
            status: 'firing',
            labels: {
              alertname: 'availability-slow-burn',
              slo_service: 'shop',
              slo: 'availability',
              slo_tier: 'slow',
              severity: 'page',
            },
            annotations: { runbook_url: 'http://burnbook.test/runbooks/shop/availability-slow-burn' },
            startsAt,
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint: 'a1b2c3d4e5f60718',
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const { page } = chromium;
    await page.goto(`${base}/alerts`);
    await expect
      .poll(() => page.locator('td[data-label="Alert"] a').first().textContent())
      .toBe('shop · availability-slow-burn');
    await page.locator('td[data-label="Alert"] a').first().click();
    expect(await page.title()).toMatch(/^shop · availability-slow-burn · alert \d+ · burnbook$/);
    const labels = await page.locator('dl.facts dt').allTextContents();
    expect(labels.slice(0, 3)).toEqual(['Burn began', 'Fired', 'First delivered']);
    const times = await page.locator('dl.facts dd time').allTextContents();
    // The slow tier's for is 15m: the burn began 15 minutes before it fired.
    expect(Date.parse(times[1] ?? '') - Date.parse(times[0] ?? '')).toBe(15 * MINUTE);
    expect(Date.parse(times[2] ?? '')).toBeGreaterThan(Date.parse(times[1] ?? ''));
    await page.screenshot({ path: join(SCREENSHOTS, 'alert.png'), fullPage: false });
    expect(chromium.problems).toEqual([]);
  });

  it('live pages carry an auto-refresh toggle, remembered, and hidden in print', async () => {
    const { page } = chromium;
    await page.goto(`${base}/`);
    const toggle = page.locator('input[data-auto-refresh]');
    expect(await toggle.isVisible()).toBe(true);
    expect(await toggle.isChecked()).toBe(true);
    // On: the page reloads itself (every 30 s).
    await page.waitForEvent('load', { timeout: 40_000 });
    await toggle.uncheck();
    await page.reload();
    expect(await page.locator('input[data-auto-refresh]').isChecked()).toBe(false);
    await page.locator('input[data-auto-refresh]').check();
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('label.refresh').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });
    await page.screenshot({ path: join(SCREENSHOTS, 'index.png'), fullPage: false });
    expect(chromium.problems).toEqual([]);
  }, 60_000);
});
