import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { alertLabels, alertName } from '../src/conventions/names.ts';
import type { Tier } from '../src/policy/tiers.ts';
import type { AbsentAlert } from '../src/spec/model.ts';
import { type RunningAlertmanager, startAlertmanager } from './support/alertmanager.ts';
import { alertmanagerFile } from './support/outputs.ts';
import { sloNamed, slosFrom } from './support/promtool-scenario.ts';
import { until } from './support/wait.ts';

/**
 * The inhibit rules of the generated Alertmanager snippet, in a real Alertmanager: alerts are posted as
 * Prometheus would send them, and Alertmanager says which it holds back and why.
 */

const slos = slosFrom(`apiVersion: burnbook/v1
service: search
slos:
  - name: tenants
    objective: 99.9
    sli: {ratio: {errors: 'req_total{code=~"5.."}', total: req_total}}
    groupBy: [tenant]
  - name: whole
    objective: 99
    sli: {latency: {histogram: 'req_seconds{job="search"}', threshold: 0.25}}
    alerting: {tiers: [fast, slow]}
`);
const tenants = sloNamed(slos, 'tenants');
const whole = sloNamed(slos, 'whole');

let alertmanager: RunningAlertmanager;

beforeAll(async () => {
  const snippet = parse(alertmanagerFile(slos));
  alertmanager = await startAlertmanager({
    configYaml: stringify({
      // Nothing is delivered: the test reads Alertmanager's own view of each alert.
      route: { receiver: 'null', group_wait: '1h', routes: [] },
      receivers: [{ name: 'null' }],
      inhibit_rules: snippet.inhibit_rules,
    }),
  });
});

afterAll(async () => {
  await alertmanager?.stop();
});

type Slo = (typeof slos)[number];

/** The alert Prometheus sends for one of an SLO's alerts, in a group. */
function alert(slo: Slo, which: Tier | AbsentAlert, group: Record<string, string> = {}) {
  return {
    labels: { alertname: alertName(slo, which), ...alertLabels(slo, which), ...group },
    annotations: {},
    startsAt: new Date().toISOString(),
  };
}

interface ApiAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

async function post(alerts: unknown[]): Promise<void> {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  expect(response.status).toBe(200);
}

async function held(): Promise<Map<string, boolean>> {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`);
  const alerts = (await response.json()) as ApiAlert[];
  return new Map(
    alerts.map((a) => [`${a.labels.alertname}{${a.labels.tenant ?? ''}}`, a.status.inhibitedBy.length > 0]),
  );
}

describe('Alertmanager inhibit rules from the generated snippet', () => {
  it('a firing tier holds back the absent-SLI alert of its SLO and group; the absent alert never holds back a tier', async () => {
    const [fast, slow] = tenants.alerting.tiers as [Tier, Tier];
    const absent = tenants.alerting.absent as AbsentAlert;
    const wholeAbsent = whole.alerting.absent as AbsentAlert;
    await post([
      alert(tenants, fast, { tenant: 'a' }),
      alert(tenants, slow, { tenant: 'a' }),
      // A group whose bucket is missing (one per group), and the whole SLI gone (no group label).
      alert(tenants, absent, { tenant: 'a' }),
      alert(tenants, absent, { tenant: 'b' }),
      alert(tenants, absent),
      // Another SLO: only its absent alert fires, and nothing of the first SLO holds it back.
      alert(whole, wholeAbsent),
    ]);
    const state = await until('Alertmanager to hold all six alerts', held, (m) => m.size === 6, 10_000);
    expect(Object.fromEntries(state)).toEqual({
      'tenants-fast-burn{a}': false,
      'tenants-slow-burn{a}': true,
      'tenants-sli-absent{a}': true,
      'tenants-sli-absent{b}': false,
      'tenants-sli-absent{}': false,
      'whole-sli-absent{}': false,
    });
  });
});
