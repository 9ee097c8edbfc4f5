import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadSpecs } from '../../src/spec/load.ts';
import { type RunningAlertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { testApp } from '../support/app.ts';
import { until } from '../support/wait.ts';

/**
 * What a real Alertmanager delivers that no hand-written fixture quite does: an alert whose label and
 * annotation are named `__proto__` (legal names for Alertmanager, refused whole by burnbook before), and a
 * group larger than the webhook's `max_alerts`, which Alertmanager cuts and counts in `truncatedAlerts`.
 */

const { slos } = loadSpecs(['slos']);

let app: FastifyInstance;
let alertmanager: RunningAlertmanager;

beforeAll(async () => {
  app = await testApp({ slos });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const webhook = (max_alerts: number) => ({
    url: `${address}/hooks/alertmanager`,
    send_resolved: true,
    max_alerts,
  });
  alertmanager = await startAlertmanager({
    configYaml: stringify({
      route: {
        receiver: 'burnbook',
        group_by: ['alertname'],
        group_wait: '1s',
        group_interval: '1s',
        repeat_interval: '1h',
        routes: [{ matchers: ['alertname="Capped"'], receiver: 'capped' }],
      },
      receivers: [
        { name: 'burnbook', webhook_configs: [webhook(0)] },
        { name: 'capped', webhook_configs: [webhook(2)] },
      ],
    }),
  });
});

afterAll(async () => {
  await alertmanager?.stop();
  await app?.close();
});

async function fire(alerts: Array<{ labels: Record<string, string>; annotations?: Record<string, string> }>) {
  // Built as text: an object literal would take `__proto__` for its prototype, not for a key.
  const body = `[${alerts
    .map((a) =>
      JSON.stringify({
        ...a,
        startsAt: new Date().toISOString(),
        generatorURL: 'http://prometheus:9090/graph',
      }),
    )
    .join(',')}]`;
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  expect(response.status, await response.text()).toBe(200);
}

/** The API's answer as text: parsed into objects, a `__proto__` key would vanish from view again. */
const apiText = async (query: string) => (await app.inject({ url: `/api/v1/alerts?${query}` })).body;

describe('a real Alertmanager delivering to burnbook', () => {
  it('delivers a group with labels and annotations named __proto__ and constructor, every alert stored', async () => {
    await fire([
      { labels: { alertname: 'ProtoKeys', instance: 'a' }, annotations: { summary: 'first' } },
      {
        labels: JSON.parse('{"alertname": "ProtoKeys", "instance": "b", "__proto__": "label"}'),
        annotations: JSON.parse('{"summary": "second", "__proto__": "annotation"}'),
      },
      { labels: { alertname: 'ProtoKeys', instance: 'c', constructor: 'y' }, annotations: {} },
    ]);
    const text = await until(
      'the group in burnbook',
      () => apiText('alertname=ProtoKeys'),
      (body) => (JSON.parse(body) as { alerts: unknown[] }).alerts.length === 3,
    );
    expect(text).toContain('"__proto__":"label"');
    expect(text).toContain('"__proto__":"annotation"');
    expect(text).toContain('"constructor":"y"');
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^burnbook_webhook_requests_total\{outcome="rejected"\} 0$/m);
  });

  it('records the alerts Alertmanager left out of a group larger than max_alerts', async () => {
    await fire(
      Array.from({ length: 5 }, (_, i) => ({ labels: { alertname: 'Capped', instance: `host-${i}` } })),
    );
    const body = await until(
      'the capped group in burnbook',
      async () =>
        (await app.inject({ url: '/api/v1/alerts?alertname=Capped' })).json() as {
          alerts: unknown[];
          truncatedDeliveries: Array<{
            groupLabels: Record<string, string>;
            alerts: number;
            truncatedAlerts: number;
          }>;
        },
      (b) => b.truncatedDeliveries.length > 0,
    );
    expect(body.alerts).toHaveLength(2);
    expect(body.truncatedDeliveries[0]).toMatchObject({
      groupLabels: { alertname: 'Capped' },
      alerts: 2,
      truncatedAlerts: 3,
    });
    const page = (await app.inject({ url: '/alerts' })).body;
    expect(page).toContain('Alerts Alertmanager left out');
    // The store's commit is visible to readers a moment before the receiver, woken by the writer thread,
    // counts the delivery: wait for the count rather than read it once.
    await until(
      'the truncated alerts counted',
      async () => (await app.inject({ url: '/metrics' })).body,
      (metrics) => /^burnbook_webhook_truncated_alerts_total 3$/m.test(metrics),
    );
  });
});
