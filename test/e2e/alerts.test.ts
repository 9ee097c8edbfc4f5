import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { tierFacts } from '../../src/policy/burn.ts';
import { quickRoute, type RunningAlertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { startBurnbook } from '../support/burnbook.ts';
import { type RunningExporter, startExporter } from '../support/exporter.ts';
import { FAST_SLO, FAST_SPEC } from '../support/fast-slo.ts';
import { alertmanagerFile, ruleFiles } from '../support/outputs.ts';
import { freePort } from '../support/ports.ts';
import type { RunningServer } from '../support/process.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { until } from '../support/wait.ts';

/**
 * The whole path on 127.0.0.1: an exporter the test steers, Prometheus with the rules burnbook generates,
 * Alertmanager with the snippet burnbook generates (plus the bearer token its webhook requires), and
 * `burnbook serve`. The error ratio goes over the fast tier's threshold: the alert arrives, is stored,
 * linked to its runbook page, shown on /alerts, with evidence from Prometheus; the errors stop: resolved.
 * The SLO is support/fast-slo.ts: its fast tier fires within seconds of an error ratio over 0.6.
 */

const slo = FAST_SLO;
const SPEC = FAST_SPEC;
const TOKEN = 'e2e-webhook-token';
const RUNBOOK = '/runbooks/shop/checkout-fast-burn';

let exporter: RunningExporter;
let prometheus: RunningPrometheus;
let alertmanager: RunningAlertmanager;
let burnbook: RunningServer;

interface ApiAlert {
  id: number;
  status: string;
  labels: Record<string, string>;
  runbook: { path: string } | null;
  slo: { path: string } | null;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'burnbook-e2e-alerts-'));
  const port = await freePort();
  const externalUrl = `http://127.0.0.1:${port}`;

  exporter = await startExporter([
    { name: 'shop_requests_total', labels: { job: 'shop', region: 'eu', code: '200' }, perSecond: 20 },
    { name: 'shop_requests_total', labels: { job: 'shop', region: 'eu', code: '500' }, perSecond: 0 },
  ]);

  const snippet = parse(alertmanagerFile([slo], externalUrl));
  for (const receiver of snippet.receivers) {
    for (const webhook of receiver.webhook_configs) {
      webhook.http_config = { authorization: { type: 'Bearer', credentials: TOKEN } };
    }
  }
  alertmanager = await startAlertmanager({
    configYaml: stringify({
      route: quickRoute(snippet.route.routes),
      receivers: [{ name: 'null' }, ...snippet.receivers],
      inhibit_rules: snippet.inhibit_rules,
    }),
  });

  const ruleFile = join(dir, 'shop.yaml');
  const [rules] = ruleFiles([slo], externalUrl);
  writeFileSync(ruleFile, rules?.content ?? '');
  prometheus = await startPrometheus({
    ruleFiles: [ruleFile],
    scrapeTargets: [exporter.target],
    alertmanagerUrl: alertmanager.url,
  });

  const specFile = join(dir, 'shop-slos.yaml');
  writeFileSync(specFile, SPEC);
  burnbook = await startBurnbook({
    specs: [specFile],
    dataDir: join(dir, 'data'),
    port,
    args: ['--prometheus-url', prometheus.url, '--webhook-bearer-token', TOKEN],
  });
});

afterAll(async () => {
  await burnbook?.stop();
  await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
  await exporter?.close();
});

async function get(path: string): Promise<string> {
  const response = await fetch(`${burnbook.url}${path}`, { signal: AbortSignal.timeout(5_000) });
  expect(response.status, path).toBe(200);
  return response.text();
}

const shopAlerts = async () =>
  (JSON.parse(await get('/api/v1/alerts?service=shop')) as { alerts: ApiAlert[] }).alerts;

describe('an SLO burning through the real stack', () => {
  it('the test tier fires above 0.6, as the spec comment says', () => {
    const tier = slo.alerting.tiers[0];
    if (!tier) throw new Error('no tier');
    expect(tierFacts(tier, slo.periodMs, slo.objective)).toMatchObject({ factor: 6, threshold: 0.6 });
  });

  it('a burn arrives as a stored, linked alert with evidence, and resolves when the errors stop', async () => {
    // A few healthy scrapes first, so the ratio is known to be 0 before the burn.
    await until(
      'the 5m error ratio to be recorded',
      async () => {
        const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent('slo:sli_error:ratio_rate5m{slo_service="shop"}')}`;
        const body = (await (await fetch(url)).json()) as { data: { result: unknown[] } };
        return body.data.result.length;
      },
      (n) => n > 0,
      30_000,
    );
    expect(await shopAlerts()).toEqual([]);

    const burnStarted = Date.now();
    exporter.setRates([0, 50]);
    const [firing] = await until('the alert to arrive', shopAlerts, (a) => a[0]?.status === 'firing', 60_000);
    const arrivedAfter = Date.now() - burnStarted;
    expect(firing?.labels).toMatchObject({ alertname: 'checkout-fast-burn', region: 'eu', severity: 'page' });
    expect(firing?.runbook).toEqual({ path: RUNBOOK });
    expect(firing?.slo?.path).toBe('/slos/shop/checkout');

    const list = await get('/alerts?status=firing');
    expect(list).toContain(`>shop · checkout-fast-burn</a>`);
    expect(list).toContain('href="runbooks&#x2F;shop&#x2F;checkout-fast-burn"');
    const runbook = await get(RUNBOOK);
    const section = runbook.slice(runbook.indexOf('<h2 id="alerts">'));
    expect(section).toContain('<h3>Firing now</h3>');
    expect(section).toContain(`alerts&#x2F;${firing?.id}`);

    // Evidence: the first-look queries, narrowed to region="eu", run once against the real Prometheus.
    const page = await until(
      'evidence from Prometheus',
      () => get(`/alerts/${firing?.id}`),
      (html) => html.includes('<section class="evidence">'),
      20_000,
    );
    const confirm = page.slice(page.indexOf('<h3>Confirm: error ratio over 5m</h3>'));
    const value = /<code>\{region&#x3D;&quot;eu&quot;\}<\/code><\/td><td class="num">([\d.]+)<\/td>/.exec(
      confirm,
    );
    expect(Number(value?.[1])).toBeGreaterThan(0.6);
    expect(page).toContain('<h3>Scope: share of errors by code</h3>');
    expect(page).not.toContain('did not answer');
    const metrics = await get('/metrics');
    expect(metrics).toMatch(/burnbook_alerts_firing\{severity="page"\} 1\n/);
    expect(metrics).toMatch(/burnbook_webhook_requests_total\{outcome="unauthorized"\} 0\n/);

    const recoveryStarted = Date.now();
    exporter.setRates([2000, 0]);
    await until('the alert to resolve', shopAlerts, (a) => a[0]?.status === 'resolved', 60_000);
    const resolvedAfter = Date.now() - recoveryStarted;
    const timeline = await get(`/alerts/${firing?.id}`);
    expect(timeline).toMatch(/started firing<\/li>\s*<li><time [^>]*>[^<]*<\/time> resolved<\/li>/);
    expect(await get('/alerts?status=firing')).toContain('Nothing is firing that matches these filters.');
    console.log(
      `alert arrived ${arrivedAfter} ms after the burn started; resolved ${resolvedAfter} ms after it stopped`,
    );
  });
});
