import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstLookQueries } from '../../src/runbooks/context.ts';
import { buildApp } from '../../src/server/app.ts';
import { loadSpecs } from '../../src/spec/load.ts';
import { openChromium } from '../support/browser.ts';

const OUTPUT = 'test-output';
const PHONE = { width: 375, height: 812 };
const LAPTOP = { width: 1280, height: 900 };

const { slos } = loadSpecs(['slos']);
const availability = slos.find((s) => s.service === 'checkout' && s.name === 'availability');

let app: FastifyInstance;
let base: string;
let browser: BrowserContext;
let page: Page;
let userDataDir: string;
let problems: string[];

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'burnbook-chromium-'));
  app = await buildApp({
    slos,
    externalUrl: 'http://127.0.0.1',
    runbooksDir: 'runbooks',
    dataDir: join(userDataDir, 'data'),
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  ({ browser, page, problems } = await openChromium(base, userDataDir, LAPTOP));
  await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function horizontalOverflow(): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe('runbook pages in Chromium', () => {
  it('follows links from / to the checkout availability fast-burn runbook, with its numbers and queries', async () => {
    if (!availability) throw new Error('checkout/availability missing from slos/');
    await page.goto(`${base}/`);
    expect(await page.locator('h1').textContent()).toBe('Service level objectives');
    await page.screenshot({ path: join(OUTPUT, 'index-laptop.png'), fullPage: true });

    await page
      .locator('#service-checkout + .table-wrap')
      .getByRole('link', { name: 'availability', exact: true })
      .click();
    await page.waitForURL(`${base}/slos/checkout/availability`);
    await page.locator('#tiers + .table-wrap').getByRole('link', { name: 'fast', exact: true }).click();
    await page.waitForURL(`${base}/runbooks/checkout/availability-fast-burn`);

    expect(await page.locator('h1').textContent()).toBe('availability-fast-burn');
    const fact = (label: string) =>
      page
        .locator('.facts div')
        .filter({ has: page.locator('dt').getByText(label, { exact: true }) })
        .locator('dd');
    expect(await fact('Burn factor').textContent()).toMatch(/^14\.4×/);
    expect(await fact('Threshold (error ratio)').textContent()).toBe('0.072= 14.4 × 0.005');
    expect(await fact('Budget for 30d').textContent()).toMatch(/^216 min/);
    expect(await fact('Budget gone in').textContent()).toMatch(/^50 h/);
    expect(await page.locator('.ask strong').textContent()).toBe('Act now');

    const fast = availability.alerting.tiers[0];
    if (!fast) throw new Error('no tiers');
    const queries = firstLookQueries(availability, fast);
    const shown = await page.locator('ol.queries pre code').allTextContents();
    expect(shown).toEqual(queries.map((q) => q.expr));
    expect(await page.locator('ol.queries h3').first().textContent()).toBe('Confirm: error ratio over 5m');
    expect(await page.locator('#query-1 .live').textContent()).toContain('No Prometheus configured');
    await page.screenshot({ path: join(OUTPUT, 'runbook-fast-burn-laptop.png'), fullPage: true });
  });

  it('copies a query with the copy button (the page script ran under its CSP)', async () => {
    const copy = page.locator('#query-2 button[data-copy]');
    expect(await copy.isVisible()).toBe(true);
    await copy.click();
    await expect.poll(() => copy.textContent()).toBe('Copied');
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    expect(clipboard).toBe(await page.locator('#query-2-expr').textContent());
    expect(clipboard).toContain('sum by (route)');
  });

  it('fits a phone: no horizontal scrolling at 375 px', async () => {
    await page.setViewportSize(PHONE);
    for (const path of [
      '/runbooks/checkout/availability-fast-burn',
      '/',
      '/slos/checkout/availability',
      '/runbooks',
    ]) {
      await page.goto(`${base}${path}`);
      expect(await horizontalOverflow(), path).toBeLessThanOrEqual(0);
    }
    await page.goto(`${base}/runbooks/checkout/availability-fast-burn`);
    await page.screenshot({ path: join(OUTPUT, 'runbook-fast-burn-phone-top.png') });
    await page.screenshot({ path: join(OUTPUT, 'runbook-fast-burn-phone.png'), fullPage: true });
    await page.goto(`${base}/`);
    await page.screenshot({ path: join(OUTPUT, 'index-phone.png'), fullPage: true });
    await page.setViewportSize(LAPTOP);
  });

  it('filters the runbook list as you type', async () => {
    await page.goto(`${base}/runbooks`);
    await page.locator('#runbook-search').fill('tenant fast');
    await expect
      .poll(() => page.locator('ul.pages > li:visible a').allTextContents())
      .toEqual(['tenant-availability-fast-burn']);
    expect(await page.locator('[data-filter-count]').textContent()).toBe('1 of 20');
    await page.screenshot({ path: join(OUTPUT, 'runbook-list-filtered.png'), fullPage: true });
  });

  it('prints without navigation or buttons', async () => {
    await page.goto(`${base}/runbooks/checkout/availability-fast-burn`);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.top').isVisible()).toBe(false);
    expect(await page.locator('button[data-copy]').first().isVisible()).toBe(false);
    expect(await page.locator('.facts').isVisible()).toBe(true);
    await page.pdf({ path: join(OUTPUT, 'runbook-fast-burn.pdf'), format: 'A4' });
    await page.emulateMedia({ media: 'screen' });
  });

  it('loaded nothing from elsewhere and logged no errors', () => {
    expect(problems).toEqual([]);
  });
});
