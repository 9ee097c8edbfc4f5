import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { evidenceQueries } from '../../src/alerts/evidence.ts';
import { openPostgresStore } from '../../src/alerts/store/postgres/store.ts';
import type { AlertStore } from '../../src/alerts/store/store.ts';
import { quickRoute, type RunningAlertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { startBurnbook } from '../support/burnbook.ts';
import { type RunningExporter, startExporter } from '../support/exporter.ts';
import { FAST_SLO, FAST_SPEC } from '../support/fast-slo.ts';
import { alertmanagerFile, ruleFiles } from '../support/outputs.ts';
import { freePort } from '../support/ports.ts';
import { type RunningPostgres, startPostgres } from '../support/postgres.ts';
import type { RunningServer } from '../support/process.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import {
  type ProxiedDelivery,
  type RecordingProxy,
  startRecordingProxy,
} from '../support/recording-proxy.ts';
import { until } from '../support/wait.ts';

/**
 * burnbook past one machine, on 127.0.0.1: two Alertmanagers in one cluster (gossiping which notifications
 * went out), each sending to a different burnbook replica, both replicas on one PostgreSQL. Prometheus runs
 * the generated rules on an exporter the test steers and sends its alerts to both Alertmanagers, as an HA
 * Prometheus setup does; the test also sends a stream of other alerts to both, as more rules would.
 *
 * A burn fires (one alert per region); then, while the stream of alerts is arriving, the replica that is
 * receiving it is killed with SIGKILL: its Alertmanager's notifications fail, the other Alertmanager sees
 * no record of them in the cluster and sends them to the other replica. The killed replica comes back; the
 * burn and the stream resolve. The history then holds every alert once, with its whole timeline (fired,
 * resolved), evidence captured once per firing, and every alert a replica acknowledged.
 *
 * The SLO is support/fast-slo.ts: its fast tier fires within seconds of an error ratio over 0.6.
 */

const REGIONS = ['eu', 'us', 'ap', 'sa'];
const slo = FAST_SLO;
const SPEC = FAST_SPEC;
const [tier] = slo.alerting.tiers;
if (!tier) throw new Error('spec has no tier');

const STREAM_WAVES = 6;
const STREAM_WAVE_SIZE = 20;

interface Replica {
  name: string;
  port: number;
  server: RunningServer;
  proxy: RecordingProxy;
}

interface ApiAlert {
  id: number;
  fingerprint: string;
  status: string;
  startsAt: string;
  receiveCount: number;
  labels: Record<string, string>;
}

let postgres: RunningPostgres;
let exporter: RunningExporter;
let prometheus: RunningPrometheus;
const alertmanagers: RunningAlertmanager[] = [];
const replicas: Replica[] = [];
let specFile: string;
let storeUrl: string;
let reader: AlertStore;

const startReplica = (port: number) =>
  startBurnbook({
    specs: [specFile],
    // Unused with --store, and must not be shared: every replica would open the same SQLite file otherwise.
    dataDir: mkdtempSync(join(tmpdir(), 'burnbook-ha-unused-')),
    port,
    args: ['--store', storeUrl, '--prometheus-url', prometheus.url],
  });

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'burnbook-e2e-ha-'));
  postgres = await startPostgres();
  storeUrl = await postgres.createDatabase('burnbook_ha');
  reader = openPostgresStore({ url: storeUrl });
  exporter = await startExporter(
    REGIONS.flatMap((region) => [
      { name: 'shop_requests_total', labels: { job: 'shop', region, code: '200' }, perSecond: 20 },
      { name: 'shop_requests_total', labels: { job: 'shop', region, code: '500' }, perSecond: 0 },
    ]),
  );

  const externalUrl = 'http://burnbook.example';
  const ruleFile = join(dir, 'shop.yaml');
  writeFileSync(ruleFile, ruleFiles([slo], externalUrl)[0]?.content ?? '');
  specFile = join(dir, 'shop-slos.yaml');
  writeFileSync(specFile, SPEC);

  // Replicas come after Prometheus (they read evidence from it), Alertmanagers after the proxies they send to.
  const [gossipA, gossipB, portA, portB] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const proxies = await Promise.all(
    [portA, portB].map((port) => startRecordingProxy(`http://127.0.0.1:${port}`)),
  );
  const snippet = parse(alertmanagerFile([slo], externalUrl));
  const config = (proxy: RecordingProxy) =>
    stringify({
      route: quickRoute([
        ...snippet.route.routes,
        { receiver: 'burnbook', matchers: ['alertname="HAStream"'], group_by: ['instance'] },
      ]),
      receivers: [
        { name: 'null' },
        {
          name: 'burnbook',
          webhook_configs: [{ url: `${proxy.url}/hooks/alertmanager`, send_resolved: true }],
        },
      ],
      inhibit_rules: snippet.inhibit_rules,
    });
  alertmanagers.push(
    ...(await Promise.all([
      startAlertmanager({
        configYaml: config(proxies[0] as RecordingProxy),
        cluster: { listenPort: gossipA, peers: [gossipB] },
      }),
      startAlertmanager({
        configYaml: config(proxies[1] as RecordingProxy),
        cluster: { listenPort: gossipB, peers: [gossipA] },
      }),
    ])),
  );
  prometheus = await startPrometheus({
    ruleFiles: [ruleFile],
    scrapeTargets: [exporter.target],
    alertmanagerUrl: alertmanagers.map((am) => am.url),
  });
  const servers = await Promise.all([startReplica(portA), startReplica(portB)]);
  replicas.push(
    ...['A', 'B'].map((name, i) => ({
      name,
      port: [portA, portB][i] as number,
      server: servers[i] as RunningServer,
      proxy: proxies[i] as RecordingProxy,
    })),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.server.stop()));
  await Promise.all([prometheus?.stop(), ...alertmanagers.map((am) => am.stop())]);
  await Promise.all(replicas.map((replica) => replica.proxy.close()));
  await exporter?.close();
  await reader?.close();
  await postgres?.stop();
});

async function history(replica: Replica): Promise<ApiAlert[]> {
  const response = await fetch(`http://127.0.0.1:${replica.port}/api/v1/alerts?limit=500`, {
    signal: AbortSignal.timeout(5_000),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { alerts: ApiAlert[] }).alerts;
}

/** An alert's timeline and evidence, read from the database the replicas share. */
async function detail(id: number) {
  const found = await reader.get(id);
  if (!found) throw new Error(`alert ${id} is not in the store`);
  return found;
}

/** Posts alerts to every Alertmanager, as each Prometheus of an HA pair does. */
async function sendToAlertmanagers(alerts: object[]): Promise<void> {
  for (const am of alertmanagers) {
    const response = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    expect(response.status, await response.text()).toBe(200);
  }
}

const streamAlert = (i: number, startsAt: string, endsAt?: string) => ({
  labels: { alertname: 'HAStream', instance: `host-${String(i).padStart(3, '0')}`, severity: 'ticket' },
  annotations: { summary: `stream alert ${i}` },
  startsAt,
  ...(endsAt ? { endsAt } : {}),
});

describe('two replicas behind an Alertmanager cluster, on one PostgreSQL', () => {
  it('a burn fires and resolves, a replica is killed mid-stream, and the history keeps everything once', async () => {
    const [first] = replicas as [Replica, Replica];
    await until(
      'the 5m error ratio to be recorded',
      async () => {
        const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent('slo:sli_error:ratio_rate5m{slo_service="shop"}')}`;
        return ((await (await fetch(url)).json()) as { data: { result: unknown[] } }).data.result.length;
      },
      (n) => n === REGIONS.length,
      30_000,
    );

    // The burn: every region fails. One firing alert per region, each with its evidence.
    exporter.setRates(REGIONS.flatMap(() => [0, 50]));
    const burning = await until(
      'the burn to fire in every region',
      async () => (await history(first)).filter((a) => a.labels.slo === 'checkout' && a.status === 'firing'),
      (alerts) => alerts.length === REGIONS.length,
      90_000,
    );
    for (const alert of burning) {
      await until(
        'evidence',
        () => detail(alert.id),
        (d) => d.evidence.length > 0,
        20_000,
      );
    }

    // The stream, in waves; the replica receiving it dies after the second wave.
    const streamStart = new Date().toISOString();
    let victim: Replica | undefined;
    for (let wave = 0; wave < STREAM_WAVES; wave++) {
      await sendToAlertmanagers(
        Array.from({ length: STREAM_WAVE_SIZE }, (_, i) =>
          streamAlert(wave * STREAM_WAVE_SIZE + i, streamStart),
        ),
      );
      if (wave === 1) {
        const busiest = await until(
          'stream deliveries to be acknowledged',
          () =>
            replicas.find((r) =>
              r.proxy.deliveries.some(
                (d) => d.status === 200 && d.alerts.some((a) => a.alertname === 'HAStream'),
              ),
            ),
          Boolean,
          20_000,
        );
        victim = busiest as Replica;
        process.kill(victim.server.pid, 'SIGKILL');
      }
      await sleep(700);
    }
    if (!victim) throw new Error('no replica was killed');
    const survivor = replicas.find((r) => r !== victim) as Replica;
    const streamTotal = STREAM_WAVES * STREAM_WAVE_SIZE;
    await until(
      'the surviving replica to store the whole stream',
      async () => (await history(survivor)).filter((a) => a.labels.alertname === 'HAStream').length,
      (n) => n === streamTotal,
      60_000,
    );
    const refused = victim.proxy.deliveries.filter((d) => d.status === 502).length;
    expect(refused, 'deliveries that found the victim dead').toBeGreaterThan(0);

    // The killed replica comes back on its port; its Alertmanager's retries reach it again.
    const restartedAt = Date.now();
    victim.server = await startReplica(victim.port);
    // A notification is retried for at most 10 s plus the peer timeout: the retries of the killed replica's
    // Alertmanager are over before anything resolves.
    await sleep(Math.max(0, restartedAt + 13_000 - Date.now()));
    await quiet(3_000);

    // Everything resolves.
    const streamEnd = new Date().toISOString();
    await sendToAlertmanagers(
      Array.from({ length: streamTotal }, (_, i) => streamAlert(i, streamStart, streamEnd)),
    );
    exporter.setRates(REGIONS.flatMap(() => [2000, 0]));
    await until(
      'every alert to resolve',
      () => history(victim as Replica),
      (alerts) =>
        alerts.length === streamTotal + REGIONS.length && alerts.every((a) => a.status === 'resolved'),
      90_000,
    );
    // The peers' late views of the resolution arrive a peer timeout later; the history is read once they have.
    await quiet(5_000);
    const final = await history(victim as Replica);

    // Every alert once, with its whole timeline: fired, resolved, nothing twice, evidence captured once. The
    // cluster orders nothing across peers: a peer that had not yet heard of a resolution still delivers its
    // older "firing" view after the other delivered "resolved"; the store takes it for that (late-view.ts).
    const keys = final.map((a) => `${a.fingerprint}@${a.startsAt}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const alert of final) {
      const { events, evidence } = await detail(alert.id);
      const name = alert.labels.instance ?? alert.labels.region;
      expect(
        events.map((e) => e.kind),
        name,
      ).toEqual(['fired', 'resolved']);
      const expected = alert.labels.slo === 'checkout' ? evidenceQueries(slo, tier, alert.labels).length : 0;
      expect(evidence, name).toHaveLength(expected);
    }
    const lateViews = lateFiringViews(replicas.flatMap((r) => r.proxy.deliveries));

    // Nothing acknowledged is lost: every alert of every 2xx answer is in the history, resolved if it said so.
    const stored = new Map(final.map((a) => [a.fingerprint, a]));
    const acknowledged = replicas.flatMap((r) => r.proxy.deliveries.filter((d) => d.status === 200));
    for (const delivery of acknowledged) {
      for (const alert of delivery.alerts) {
        expect(stored.get(alert.fingerprint), alert.fingerprint).toBeDefined();
      }
    }
    const acknowledgedAlerts = acknowledged.reduce((n, d) => n + d.alerts.length, 0);
    const receipts = final.reduce((n, a) => n + a.receiveCount, 0);
    expect(receipts).toBeGreaterThanOrEqual(acknowledgedAlerts);
    const perReplica = replicas.map((r) => ({
      replica: r.name,
      killed: r === victim,
      acknowledged: r.proxy.deliveries.filter((d) => d.status === 200).length,
      refused: r.proxy.deliveries.filter((d) => d.status === 502).length,
      other: r.proxy.deliveries.filter((d) => d.status !== 200 && d.status !== 502).length,
    }));
    for (const r of perReplica) expect(r.other, JSON.stringify(r)).toBe(0);
    expect(perReplica.every((r) => r.acknowledged > 0)).toBe(true);
    console.log(
      `HA: ${final.length} alerts stored once each (${REGIONS.length} burn, ${streamTotal} stream), ` +
        `${lateViews} late "firing" views acknowledged after a resolution; ` +
        `${acknowledged.length} deliveries acknowledged carrying ${acknowledgedAlerts} alerts, ${receipts} receipts stored; ` +
        JSON.stringify(perReplica),
    );
  }, 420_000);
});

/** Waits until no delivery has reached either replica for `ms`. */
function quiet(ms: number): Promise<number> {
  return until(
    `${ms} ms without deliveries`,
    () => Date.now() - Math.max(0, ...replicas.flatMap((r) => r.proxy.deliveries.map((d) => d.at))),
    (since) => since > ms,
    60_000,
  );
}

/** Deliveries acknowledged with an alert firing after a delivery resolving it had been acknowledged. */
function lateFiringViews(deliveries: readonly ProxiedDelivery[]): number {
  const acknowledged = deliveries.filter((d) => d.status === 200).sort((a, b) => a.at - b.at);
  const resolved = new Set<string>();
  let late = 0;
  for (const delivery of acknowledged) {
    for (const alert of delivery.alerts) {
      const key = `${alert.fingerprint}@${alert.startsAt}`;
      if (alert.status === 'resolved') resolved.add(key);
      else if (resolved.has(key)) late++;
    }
  }
  return late;
}
