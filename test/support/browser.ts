/** Debian's Chromium driven by playwright-core, the way every browser test here wants it. */
import { existsSync } from 'node:fs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

export interface OpenBrowser {
  browser: BrowserContext;
  page: Page;
  /** Requests off the server, console errors (CSP violations among them) and uncaught script errors. */
  problems: string[];
}

/**
 * Headless Chromium with its profile in `userDataDir`, allowed to load only from `base`: pages load
 * nothing from elsewhere, so any request off the server is a bug and lands in `problems`.
 */
export async function openChromium(
  base: string,
  userDataDir: string,
  viewport: { width: number; height: number },
): Promise<OpenBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install the Debian package "chromium" to run the browser tests`);
  }
  const problems: string[] = [];
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport,
  });
  await browser.route('**/*', (route) =>
    route.request().url().startsWith(base) ? route.continue() : route.abort('blockedbyclient'),
  );
  browser.on('request', (request) => {
    if (!request.url().startsWith(base)) problems.push(`request to ${request.url()}`);
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { browser, page, problems };
}
