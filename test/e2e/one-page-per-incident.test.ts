import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type RunningAlertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { testApp } from '../support/app.ts';
import { openChromium } from '../support/browser.ts';
import { type RunningExporter, startExporter } from '../support/exporter.ts';
import { alertmanagerFile, ruleFiles } from '../support/outputs.ts';
import { freePort } from '../support/ports.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom } from '../support/promtool-scenario.ts';
import { until } from '../support/wait.ts';

/**
 * One incident, one page, through the real stack: a live exporter, Prometheus running the generated rules,
 * Alertmanager with the generated snippet merged under the common root `group_by: [alertname]`, burnbook
 * serving the pages and receiving the snippet's webhook, and a sink that records every notification the pager
 * and burnbook are sent. After recovery, Chromium reads the incidents burnbook stored. Two services whose SLOs are both named
 * `availability` (so their alerts share alert names) and a `groupBy` SLO with two tenants go down at once;
 * both tiers fire, the slow one under the fast one's inhibition; then they recover.
 *
 * Tiers are short so the test takes minutes: windows of 5-15m (5m is the shortest burnbook allows), `for: 0s`
 * and thresholds a total outage crosses within two minutes. The slow tier's 10m short window still reads the
 * outage ~10m after recovery, long after the fast tier's 5m window cleared: without the rules' settled
 * clause it would page again after the recovery.
 */

const TIERS = `
    alerting:
      tiers:
        - {name: fast, budgetPercent: 1.5, long: 10m, short: 5m, for: 0s, severity: page}
        - {name: slow, budgetPercent: 1, long: 15m, short: 10m, for: 0s, severity: page}`;
const spec = (service: string, groupBy = '') => `apiVersion: burnbook/v1
service: ${service}
slos:
  - name: availability
    objective: 99
    period: 1d
    sli: {ratio: {errors: '${service}_requests_total{code="500"}', total: '${service}_requests_total'}}${groupBy}${TIERS}
`;
const slos = [...slosFrom(spec('checkout')), ...slosFrom(spec('search', '\n    groupBy: [tenant]'))];

/** The three incidents: one per SLO and tenant. */
const GROUPS = ['checkout/availability/', 'search/availability/a', 'search/availability/b'];
const PER_SECOND = 40;

interface Notification {
  receiver: string;
  status: 'firing' | 'resolved';
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
  at: number;
}

let sink: Server;
const received: Notification[] = [];
let exporter: RunningExporter;
let prometheus: RunningPrometheus;
let alertmanager: RunningAlertmanager;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  sink = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ ...(JSON.parse(body) as Notification), at: Date.now() });
      response.end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  exporter = await startExporter([
    { name: 'checkout_requests_total', labels: { code: '200' }, perSecond: PER_SECOND },
    { name: 'checkout_requests_total', labels: { code: '500' }, perSecond: 0 },
    ...['a', 'b'].flatMap((tenant) => [
      { name: 'search_requests_total', labels: { tenant, code: '200' }, perSecond: PER_SECOND },
      { name: 'search_requests_total', labels: { tenant, code: '500' }, perSecond: 0 },
    ]),
  ]);

  // burnbook's address comes first: Alertmanager delivers to it, Prometheus links to it, and it reads
  // Prometheus, which starts last.
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const snippet = parse(alertmanagerFile(slos, base));
  // The sink hears what burnbook is sent, from the same receiver (Alertmanager names it in the payload).
  for (const receiver of snippet.receivers) {
    receiver.webhook_configs.push({ url: `${sinkUrl}/burnbook`, send_resolved: true });
  }
  alertmanager = await startAlertmanager({
    configYaml: stringify({
      route: {
        receiver: 'pager',
        group_by: ['alertname'],
        group_wait: '1s',
        group_interval: '2s',
        repeat_interval: '1h',
        routes: snippet.route.routes,
      },
      receivers: [
        { name: 'pager', webhook_configs: [{ url: `${sinkUrl}/pager`, send_resolved: true }] },
        ...snippet.receivers,
      ],
      inhibit_rules: snippet.inhibit_rules,
    }),
  });

  const dir = mkdtempSync(join(tmpdir(), 'burnbook-one-page-'));
  const files = ruleFiles(slos, base).map((file) => {
    const path = join(dir, file.path);
    writeFileSync(path, file.content);
    return path;
  });
  prometheus = await startPrometheus({
    ruleFiles: files,
    scrapeTargets: [exporter.target],
    alertmanagerUrl: alertmanager.url,
  });
  app = await testApp({ slos, prometheusUrl: prometheus.url });
  await app.listen({ port, host: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
  await exporter?.close();
  await new Promise((resolve) => sink?.close(resolve));
});

const incidentOf = (n: Notification) =>
  `${n.groupLabels.slo_service}/${n.groupLabels.slo}/${n.groupLabels.tenant ?? ''}`;

async function alertmanagerAlerts() {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`);
  return (await response.json()) as Array<{
    labels: Record<string, string>;
    status: { inhibitedBy: string[] };
  }>;
}

function setOutage(down: boolean) {
  // Per service and tenant: [200s, 500s]. A total outage: every request fails.
  exporter.setRates(Array.from({ length: 3 }, () => (down ? [0, PER_SECOND] : [PER_SECOND, 0])).flat());
}

describe('one incident, one page, through Prometheus and Alertmanager with the generated snippet', () => {
  it('an outage pages once per SLO and tenant, and after recovery sends nothing but the resolve', async () => {
    // Healthy scrapes first, so every ratio is known to be 0 before the outage.
    await until(
      'Prometheus to record every group healthy',
      async () => {
        const response = await fetch(
          `${prometheus.url}/api/v1/query?query=${encodeURIComponent('slo:sli_error:ratio_rate5m')}`,
        );
        return ((await response.json()) as { data: { result: unknown[] } }).data.result.length;
      },
      (n) => n === 3,
      60_000,
    );
    setOutage(true);

    // Both tiers fire in every group, the slow one held back by the fast one.
    await until(
      'both tiers of all three groups in Alertmanager, the slow ones inhibited',
      alertmanagerAlerts,
      (alerts) =>
        alerts.filter((a) => a.labels.slo_tier === 'fast' && a.status.inhibitedBy.length === 0).length ===
          3 &&
        alerts.filter((a) => a.labels.slo_tier === 'slow' && a.status.inhibitedBy.length > 0).length === 3,
      240_000,
    );
    await until(
      'a page for each group',
      () => new Set(received.filter((n) => n.receiver === 'pager').map(incidentOf)),
      (groups) => groups.size === 3,
      30_000,
    );
    const recoveredAt = Date.now();
    setOutage(false);

    await until(
      'every group resolved at both receivers',
      () => received.filter((n) => n.status === 'resolved').map((n) => `${n.receiver} ${incidentOf(n)}`),
      (resolved) => new Set(resolved).size === 6,
      540_000,
    );
    // A few group intervals more: nothing else may arrive.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect((await alertmanagerAlerts()).filter((a) => a.labels.slo_tier !== 'sli-absent')).toEqual([]);

    for (const receiver of ['pager', 'burnbook']) {
      const mine = received.filter((n) => n.receiver === receiver);
      // One notification group per SLO and tenant, whatever the root route's group_by.
      expect([...new Set(mine.map(incidentOf))].sort(), receiver).toEqual(GROUPS);
      expect(new Set(mine.map((n) => n.groupKey)).size, receiver).toBe(3);
      for (const group of GROUPS) {
        const sent = mine.filter((n) => incidentOf(n) === group);
        const after = sent.filter((n) => n.at > recoveredAt);
        // After the recovery, each group hears exactly once more: its resolve, with every alert resolved (the
        // slow tier among them: Alertmanager lists an inhibited alert once it has resolved).
        expect(
          after.map((n) => [n.status, n.alerts.filter((a) => a.status !== 'resolved').length]),
          `${receiver} ${group}`,
        ).toEqual([['resolved', 0]]);
        expect(after[0]?.alerts.map((a) => a.labels.slo_tier)).toContain('fast');
        // While it burned, the page showed the fast tier only: the slow one was inhibited under it.
        for (const n of sent.filter((s) => s.at <= recoveredAt)) {
          expect(n.alerts.map((a) => `${a.labels.slo_tier} ${a.status}`)).toEqual(['fast firing']);
        }
      }
    }

    // What on-call sees in burnbook afterwards: one resolved incident per SLO and tenant, each the fast page
    // with its slow tier (stored as Alertmanager sent it: resolved, once inhibited).
    const screenshots = join(tmpdir(), `burnbook-one-page-screens-${process.pid}`);
    mkdirSync(screenshots, { recursive: true });
    const chromium = await openChromium(base, mkdtempSync(join(tmpdir(), 'burnbook-chromium-')), {
      width: 1200,
      height: 900,
    });
    try {
      await chromium.page.goto(`${base}/incidents`);
      const rows = await chromium.page.locator('table.incidents tbody tr').allInnerTexts();
      await chromium.page.screenshot({ path: join(screenshots, 'incidents.png'), fullPage: true });
      expect(rows, rows.join('\n')).toHaveLength(3);
      for (const row of rows) {
        expect(row).toMatch(/^resolved\b/);
        expect(row).toContain('fast tier (page) resolved');
        expect(row).not.toMatch(/\bfiring\b/);
      }
      expect(rows.filter((r) => r.includes('checkout'))).toHaveLength(1);
      expect(rows.filter((r) => r.includes('search'))).toHaveLength(2);
      expect(chromium.problems).toEqual([]);
    } finally {
      await chromium.browser.close();
    }
  }, 900_000);
});
