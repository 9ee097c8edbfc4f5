/**
 * The e2e tests' SLO and Alertmanager: what the tests that burn an SLO through the real stack share.
 *
 * burnbook measures no window shorter than 5m, so the tier is as fast as that allows: 2.5% of a 1-day budget
 * within 6m (burn factor 2.5% × 1d / 6m = 6), confirmed over 5m, for 1s. At a 90% objective (budget 0.1) it
 * fires above an error ratio of 0.6.
 */
import { parse, stringify } from 'yaml';
import type { Slo } from '../../src/spec/model.ts';
import { alertmanagerFile } from './outputs.ts';
import { slosFrom } from './promtool-scenario.ts';

/** The spec (`shop/checkout`), with the lines a test adds under the SLO (`groupBy: [region]`). */
export function shopSpec(extra = ''): string {
  return `
apiVersion: burnbook/v1
service: shop
scrapeInterval: 1s
slos:
  - name: checkout
    objective: 90
    period: 1d
    sli:
      ratio:
        errors: shop_requests_total{job="shop",code=~"5.."}
        total: shop_requests_total{job="shop"}
    breakdown: [code]
    alerting:
      tiers:
        - {name: fast, severity: page, budgetPercent: 2.5, long: 6m, short: 5m, for: 1s}
${extra ? `    ${extra}\n` : ''}`;
}

export function shopSlo(spec: string): Slo {
  const [slo] = slosFrom(spec);
  if (!slo) throw new Error('spec did not load');
  return slo;
}

/**
 * alertmanager.yml around burnbook's generated snippet: its routes under a default receiver that drops
 * everything, timers of a second so a test need not wait, and the bearer token burnbook's webhook asks for.
 */
export function alertmanagerConfig(slos: readonly Slo[], externalUrl: string, bearerToken?: string): string {
  const snippet = parse(alertmanagerFile(slos, externalUrl));
  if (bearerToken) {
    for (const receiver of snippet.receivers) {
      for (const webhook of receiver.webhook_configs) {
        webhook.http_config = { authorization: { type: 'Bearer', credentials: bearerToken } };
      }
    }
  }
  return stringify({
    route: {
      receiver: 'null',
      group_by: ['slo_service', 'slo'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
      routes: snippet.route.routes,
    },
    receivers: [{ name: 'null' }, ...snippet.receivers],
    inhibit_rules: snippet.inhibit_rules,
  });
}
