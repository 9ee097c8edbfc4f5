import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { quickRoute, type RunningAlertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { openChromium } from '../support/browser.ts';
import { startBurnbook } from '../support/burnbook.ts';
import { burnbook as cli } from '../support/cli.ts';
import { type RunningExporter, startExporter } from '../support/exporter.ts';
import { FAST_SLO, FAST_SPEC } from '../support/fast-slo.ts';
import { alertmanagerFile, ruleFiles } from '../support/outputs.ts';
import { freePort } from '../support/ports.ts';
import type { RunningServer } from '../support/process.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { until } from '../support/wait.ts';

/**
 * A burn through the real stack (exporter → Prometheus with burnbook's rules → Alertmanager with burnbook's
 * snippet → burnbook), then the incident it makes: its page in real Chromium, and the postmortem draft's
 * numbers against what the test injected. The test knows exactly how many requests failed: the exporter's
 * counters grow with time at the rates the test sets.
 *
 * The SLO is support/fast-slo.ts (90% over 1d, fast tier 2.5% of the budget within 6m/5m: fires above 0.6,
 * one alert per region); the burn is in region eu.
 * Healthy traffic is 0.5 requests/s, so the first scrape of the burn (50 failing/s) puts the 5m error
 * ratio above the budget rate (0.1): the burn's start is the injection's, to a scrape. Prometheus scrapes every
 * 250 ms: `increase` extrapolates to the edges of its window by up to one scrape interval, which over a
 * minute of burn is well inside 1%.
 */

const SPEC = FAST_SPEC;
const slo = FAST_SLO;
const GOOD_PER_S = 0.5;
const FAILING_PER_S = 50;
const RECOVERY_PER_S = 2000;
const BURN_MS = 60_000;
// Prometheus's rule evaluation interval: detection is measured to within one.
const EVALUATION_MS = 1_000;
const HOSTILE = '<img src=x onerror=alert(1)>';

let dir: string;
let exporter: RunningExporter;
let prometheus: RunningPrometheus;
let alertmanager: RunningAlertmanager;
let burnbook: RunningServer;
let port: number;
let specFile: string;
let dataDir: string;

/** The exporter's rates over time, so the test knows how many events happened by any moment. */
const rates: Array<{ at: number; good: number; failing: number }> = [];
function setRates(good: number, failing: number): number {
  const at = Date.now();
  exporter.setRates([good, failing]);
  rates.push({ at, good, failing });
  return at;
}
function injected(from: number, to: number): { failed: number; total: number } {
  let failed = 0;
  let total = 0;
  rates.forEach((r, i) => {
    const start = Math.max(from, r.at);
    const end = Math.min(to, rates[i + 1]?.at ?? Number.POSITIVE_INFINITY);
    if (end <= start) return;
    failed += (r.failing * (end - start)) / 1000;
    total += ((r.good + r.failing) * (end - start)) / 1000;
  });
  return { failed, total };
}

async function start(args: string[] = []): Promise<RunningServer> {
  return startBurnbook({
    specs: [specFile],
    dataDir,
    port,
    args: ['--prometheus-url', prometheus.url, '--evaluation-interval', '1h', ...args],
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'burnbook-e2e-incidents-'));
  dataDir = join(dir, 'data');
  port = await freePort();
  const externalUrl = `http://127.0.0.1:${port}`;
  exporter = await startExporter([
    { name: 'shop_requests_total', labels: { job: 'shop', region: 'eu', code: '200' }, perSecond: 0 },
    { name: 'shop_requests_total', labels: { job: 'shop', region: 'eu', code: '500' }, perSecond: 0 },
  ]);
  setRates(GOOD_PER_S, 0);

  const snippet = parse(alertmanagerFile([slo], externalUrl));
  alertmanager = await startAlertmanager({
    configYaml: stringify({
      route: quickRoute(snippet.route.routes),
      receivers: [{ name: 'null' }, ...snippet.receivers],
      inhibit_rules: snippet.inhibit_rules,
    }),
  });
  const ruleFile = join(dir, 'shop.yaml');
  writeFileSync(ruleFile, ruleFiles([slo], externalUrl)[0]?.content ?? '');
  prometheus = await startPrometheus({
    ruleFiles: [ruleFile],
    scrapeTargets: [exporter.target],
    scrapeInterval: '250ms',
    evaluationInterval: `${EVALUATION_MS}ms`,
    alertmanagerUrl: alertmanager.url,
  });
  specFile = join(dir, 'shop-slos.yaml');
  writeFileSync(specFile, SPEC);
  // The evaluator is not what this test is about: an hour between its runs keeps it from pushing alerts.
  burnbook = await start();
});

afterAll(async () => {
  await burnbook?.stop();
  await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
  await exporter?.close();
});

async function get(path: string, status = 200): Promise<string> {
  const response = await fetch(`${burnbook.url}${path}`, { signal: AbortSignal.timeout(30_000) });
  expect(response.status, path).toBe(status);
  return response.text();
}

interface ApiAlert {
  id: number;
  status: string;
  firstReceivedAt: string;
}
const shopAlerts = async () =>
  (JSON.parse(await get('/api/v1/alerts?service=shop')) as { alerts: ApiAlert[] }).alerts;

/** A number after a label in the draft: `- Failed events: **3012** of 3100`. */
function draftNumber(draft: string, pattern: RegExp): number {
  const match = pattern.exec(draft);
  if (!match) throw new Error(`${pattern} not in the draft:\n${draft}`);
  return Number(match[1]);
}

/** `12.3 s`, `4.5 min` as milliseconds. */
function duration(text: string): number {
  const [value, unit] = text.split(' ');
  return Number(value) * (unit === 's' ? 1000 : unit === 'min' ? 60_000 : Number.NaN);
}

describe('a burn becomes an incident with its postmortem draft', () => {
  let incidentId = 0;
  let burnStarted = 0;
  let burnStopped = 0;
  let firstReceivedAt = 0;

  it('the burn fires, resolves and recovers; the incident has every number, right', async () => {
    await until(
      'the 5m error ratio to be recorded',
      async () => {
        const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent('slo:sli_error:ratio_rate5m{slo_service="shop"}')}`;
        return ((await (await fetch(url)).json()) as { data: { result: unknown[] } }).data.result.length;
      },
      (n) => n > 0,
      30_000,
    );
    burnStarted = setRates(GOOD_PER_S, FAILING_PER_S);
    const [firing] = await until('the page', shopAlerts, (a) => a[0]?.status === 'firing', 60_000);
    firstReceivedAt = Date.parse(firing?.firstReceivedAt ?? '');

    // Someone silences the SLO's alerts while they work on it; Alertmanager keeps who and why. Short: while
    // it holds, Alertmanager would not send the resolve either.
    const silence = await fetch(`${alertmanager.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'slo', value: 'checkout', isRegex: false, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 15_000).toISOString(),
        createdBy: 'e2e on-call',
        comment: `rolling back ${HOSTILE}`,
      }),
    });
    expect(silence.status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, burnStarted + BURN_MS - Date.now())));
    burnStopped = setRates(RECOVERY_PER_S, 0);
    await until('the alert to resolve', shopAlerts, (a) => a[0]?.status === 'resolved', 60_000);
    incidentId = firing?.id ?? 0;
    const page = await until(
      'the error ratio back under the budget rate',
      () => get(`/incidents/${incidentId}`),
      (html) => html.includes('<dt>Back under budget rate</dt><dd><time'),
      60_000,
    );
    expect(page).toContain(
      `<h1>Incident #${incidentId}: shop&#x2F;checkout {region&#x3D;&quot;eu&quot;}</h1>`,
    );
    expect(page).not.toContain('Could not get');
  }, 240_000);

  it('after a restart, with Alertmanager: the draft has the silence, and numbers within bounds', async () => {
    await burnbook.stop();
    burnbook = await start(['--alertmanager-url', alertmanager.url]);
    const draft = await get(`/incidents/${incidentId}/postmortem.md`);

    const failed = draftNumber(draft, /- Failed events: \*\*(\d+)\*\*/);
    const truth = injected(burnStarted, burnStopped + 1);
    expect(Math.abs(failed - truth.failed) / truth.failed).toBeLessThan(0.01);

    // The share of the period's budget: failed events over 10% of all events up to the recovery.
    const recovered = Date.parse(/- Failed events: .* to (\S+)$/m.exec(draft)?.[1] ?? '');
    const all = injected(0, recovered);
    const share = draftNumber(draft, /- Error budget spent: \*\*([\d.]+)%\*\*/) / 100;
    expect(share).toBeCloseTo(truth.failed / (0.1 * all.total), 1);
    expect(Math.abs(share - truth.failed / (0.1 * all.total)) / share).toBeLessThan(0.05);
    const left = draftNumber(draft, /- Error budget left after the incident: (-?[\d.]+)%/) / 100;
    // Over the period (all Prometheus holds), not the incident's window: the same within a few percent.
    expect(Math.abs(left - (1 - share))).toBeLessThan(0.05 * share);

    // Detection: from the burn's start to burnbook's receipt of the page, within one evaluation interval.
    const detect = duration(/- Time to detect .*: \*\*([^*]+)\*\*/.exec(draft)?.[1] ?? '');
    expect(Math.abs(detect - (firstReceivedAt - burnStarted))).toBeLessThanOrEqual(EVALUATION_MS + 1000);
    expect(draft).toMatch(/- Time to resolve .*: \*\*[\d.]+ (s|min)\*\*/);
    console.log(
      `failed ${failed} (injected ${truth.failed.toFixed(0)}); budget share ${share} ` +
        `(expected ${(truth.failed / (0.1 * all.total)).toFixed(4)}); time to detect ${detect} ms ` +
        `(page received ${firstReceivedAt - burnStarted} ms after the injection)`,
    );

    expect(draft).toContain('e2e on-call');
    expect(draft).toContain('rolling back \\<img src=x onerror=alert(1)\\>');
    expect(draft).toMatch(/\| [\dT:Z-]+ \| silence [0-9a-f-]+ started by e2e on-call: rolling back \\<img/);
    expect(draft).toContain('## Root cause\n\n> Only people know this');
    expect(draft).toMatch(/ {2}- \{region="eu"\}: 0\.\d+/);
    expect(draft).toMatch(/### Confirm: error ratio over 5m \(fast tier \(page\), /);
    expect(draft).not.toContain('Could not get');
  }, 240_000);

  it('the incident page in Chromium: timeline, impact, the chart drawn, nothing from outside run', async () => {
    const userDataDir = mkdtempSync(join(tmpdir(), 'burnbook-e2e-incidents-chromium-'));
    const { browser, page, problems } = await openChromium(burnbook.url, userDataDir, {
      width: 1280,
      height: 900,
    });
    try {
      await page.goto(`${burnbook.url}/incidents`);
      await page.getByRole('link', { name: `#${incidentId} shop/checkout {region="eu"}` }).click();
      await page.locator('figure.chart canvas').first().waitFor({ timeout: 15_000 });
      const facts = await page.locator('[data-fact]').allInnerTexts();
      expect(facts.join(' | ')).toMatch(/min|s/);
      const timeline = await page.locator('ol.timeline li').allInnerTexts();
      expect(timeline[0]).toContain('error ratio rose above the budget rate (0.1)');
      expect(timeline.some((t) => t.includes(`rolling back ${HOSTILE}`))).toBe(true);
      expect(timeline.at(-1)).toContain('error ratio back under the budget rate');
      expect(await page.locator('img').count()).toBe(0);
      mkdirSync('test-output', { recursive: true });
      await page.screenshot({ path: join('test-output', 'incident-laptop.png'), fullPage: true });
      await page.getByRole('link', { name: 'Postmortem draft (markdown)' }).click();
      expect(await page.locator('body').textContent()).toContain('# Postmortem: shop/checkout {region="eu"}');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 240_000);

  it("burnbook postmortem after serve stopped, with Prometheus down: the store's facts, and what it could not get", async () => {
    await burnbook.stop();
    await prometheus.stop();
    const run = cli([
      'postmortem',
      String(incidentId),
      specFile,
      '--data-dir',
      dataDir,
      '--prometheus-url',
      prometheus.url,
      '--prometheus-timeout',
      '2s',
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Could not get burn start, recovery and impact: Prometheus at');
    expect(run.stdout).toContain('- Could not get burn start, recovery and impact: Prometheus at');
    expect(run.stdout).toMatch(/\| [\dT:Z-]+ \| fast tier \(page\) resolved \|/);
    expect(run.stdout).toContain('- Time to detect (burn start to the first page): unknown');
  }, 240_000);
});
