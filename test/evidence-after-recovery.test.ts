import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evidenceAfterRecovery } from '../src/incidents/evidence-timing.ts';
import { buildApp } from '../src/server/app.ts';
import { counter, HOUR, historyToOpenMetrics, MINUTE, type Timeline } from './support/history.ts';
import { type RunningPrometheus, startPrometheus } from './support/prometheus.ts';
import { slosFrom } from './support/promtool-scenario.ts';
import { until } from './support/wait.ts';

/**
 * Evidence captured after the burn had ended says so. A 10-minute burn (half the requests failing) ended
 * 20 minutes ago in a real Prometheus's history; its fast-tier alert reaches burnbook only now (Alertmanager
 * retrying while burnbook was down), so the first-look queries run on the recovery. The incident page and the
 * postmortem draft say how long after the burn's end (as Prometheus shows it) the evidence was captured; the
 * alert page, once the alert resolved before the capture, says so from the alert's own end.
 */

const slos = slosFrom(`
apiVersion: burnbook/v1
service: late
slos:
  - name: availability
    objective: 99
    sli: {ratio: {errors: 'late_requests_total{code="500"}', total: late_requests_total}}
`);
const END = Math.floor(Date.now() / MINUTE) * MINUTE;
const RECOVERED = END - 20 * MINUTE;
const BURN_START = RECOVERED - 10 * MINUTE;
const timeline: Timeline = { start: END - 3 * HOUR, end: END, stepMs: MINUTE };
const burning = (t: number) => t > BURN_START && t <= RECOVERED;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

let prometheus: RunningPrometheus;
let app: FastifyInstance;

const alert = (status: 'firing' | 'resolved', endsAt: string) => ({
  status,
  labels: {
    alertname: 'availability-fast-burn',
    severity: 'page',
    slo_service: 'late',
    slo: 'availability',
    slo_tier: 'fast',
  },
  annotations: { summary: 'late/availability is burning its error budget' },
  startsAt: iso(BURN_START + 3 * MINUTE),
  endsAt,
  generatorURL: 'http://127.0.0.1:9090/graph',
  fingerprint: 'f00dfeedf00dfeed',
});

async function post(status: 'firing' | 'resolved', endsAt: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/hooks/alertmanager',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({
      version: '4',
      status,
      receiver: 'burnbook',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://127.0.0.1:9093',
      groupKey: '{}:{slo="availability"}',
      truncatedAlerts: 0,
      alerts: [alert(status, endsAt)],
    }),
  });
  expect(response.statusCode).toBe(200);
}

beforeAll(async () => {
  prometheus = await startPrometheus({
    backfillOpenMetrics: historyToOpenMetrics([
      {
        name: 'late_requests_total',
        labels: { code: '200' },
        points: counter(timeline, (t) => (burning(t) ? 500 : 1000)),
      },
      {
        name: 'late_requests_total',
        labels: { code: '500' },
        points: counter(timeline, (t) => (burning(t) ? 500 : 0)),
      },
    ]),
  });
  app = await buildApp({
    slos,
    externalUrl: 'http://127.0.0.1:8080',
    runbooksDir: 'runbooks',
    dataDir: mkdtempSync(join(tmpdir(), 'burnbook-late-evidence-')),
    prometheusUrl: prometheus.url,
    evaluation: null,
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await prometheus?.stop();
});

describe('evidence captured after the burn ended', () => {
  it('the incident page, the postmortem draft and the alert page say the values are after recovery', async () => {
    await post('firing', '0001-01-01T00:00:00Z');
    const listed = (await app.inject({ url: '/api/v1/alerts' })).json() as { alerts: Array<{ id: number }> };
    const id = listed.alerts[0]?.id;
    const incident = await until(
      'the evidence captured',
      async () => (await app.inject({ url: `/incidents/${id}` })).body,
      (html) => html.includes('<section class="evidence">'),
    );
    // Prometheus's 5m ratio is back under the budget rate 5 minutes after the last failing minute ends...
    const recovered = /Back under budget rate<\/dt><dd><time datetime="([^"]+)"/.exec(incident)?.[1];
    expect(recovered).toBeDefined();
    const recoveredMs = Date.parse(recovered ?? '');
    expect(Math.abs(recoveredMs - (RECOVERED + 5 * MINUTE))).toBeLessThanOrEqual(MINUTE);
    // ...and the evidence, captured now, says how long after that it was taken.
    expect(incident).toMatch(
      new RegExp(
        `Captured 1\\d(\\.\\d)? min after the burn ended at ${recovered}: the values below are after recovery`,
      ),
    );
    const draft = (await app.inject({ url: `/incidents/${id}/postmortem.md` })).body;
    expect(draft).toContain(`after the burn ended at ${recovered}: the values below are after recovery`);

    // The alert page knows no burn, but an alert resolved before its evidence was captured had one that ended.
    await post('resolved', iso(RECOVERED + 6 * MINUTE));
    const page = (await app.inject({ url: `/alerts/${id}` })).body;
    expect(page).toMatch(
      new RegExp(
        `after the alert resolved at ${iso(RECOVERED + 6 * MINUTE)}, when the burn had already ended`,
      ),
    );
  });

  it('evidence captured during the burn, or with no known end, says nothing more', () => {
    const end = { atMs: RECOVERED, by: 'burn' } as const;
    expect(evidenceAfterRecovery(RECOVERED - MINUTE, end)).toBeNull();
    expect(evidenceAfterRecovery(RECOVERED, end)).toBeNull();
    expect(evidenceAfterRecovery(RECOVERED + MINUTE, null)).toBeNull();
    expect(evidenceAfterRecovery(RECOVERED + 12 * MINUTE, end)).toBe(
      `Captured 12 min after the burn ended at ${iso(RECOVERED)}: the values below are after recovery, not those of the burn.`,
    );
  });
});
