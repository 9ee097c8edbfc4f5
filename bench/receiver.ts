/**
 * `POST /hooks/alertmanager` of `burnbook serve` (durable SQLite store, no Prometheus, so no evidence
 * capture) against a bare fastify route that parses the same JSON and answers 200, both as child
 * processes loaded by wrk. Bodies like Alertmanager's (version 4, labels and annotations of burnbook's
 * alerts): 1 and 50 alerts per body, fingerprints new on every request or the same again (at-least-once
 * redelivery). Then fills the store to --fill alerts and measures memory and `/alerts` latency.
 *
 * Each case runs at 8 connections (a few Alertmanager groups notifying at once) and 64 (many): with an fsync
 * per commit, a receiver that answers after the commit serves at most connections ÷ commit latency requests
 * per second (Little's law), so 8 connections measure latency as much as throughput.
 *
 * With `--store postgres`, a second burnbook keeps its history in a throwaway PostgreSQL cluster (initdb +
 * pg_ctl, as the tests start it; fsync on) and every case runs against both stores in the same run: a row
 * per store, with PostgreSQL's throughput as a share of SQLite's.
 *
 * Options: --seconds 10  --connections 8,64  --fill 1000000 (0 to skip)  --store sqlite|postgres
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres } from '../test/support/postgres.ts';
import { type Child, rssBytes, startNode, type WrkResult, wrk } from './servers.ts';
import {
  bytes,
  count,
  flags,
  ms,
  numberFlag,
  onCleanup,
  percent,
  printTable,
  progress,
  tempDir,
  times,
} from './support.ts';

const PATH = '/hooks/alertmanager';

/**
 * A wrk script posting Alertmanager webhook bodies. `fresh`: every alert of every request has a new
 * fingerprint (a new alert to insert); otherwise the same body again (an alert seen before: a receipt).
 */
export function webhookScript(alerts: number, fresh: boolean): string {
  // Per run, so fingerprints never collide with an earlier run against the same store.
  const run = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  return `
local n = 0
local function alert(id)
  return string.format([[{"status":"firing","labels":{"alertname":"availability-fast-burn","severity":"page","slo":"availability","slo_service":"checkout","slo_tier":"fast","team":"payments","tenant":"tenant-%d"},"annotations":{"summary":"checkout/availability (tenant=tenant-%d) is burning its error budget 14.4x too fast","description":"Error ratio over 1h is 0.0913, above 0.072 (14.4 x the 0.5%% error budget of a 99.5%% objective), and over 5m as well. At this rate the 30d budget (216 min of full outage) is gone in 50 h; 2%% of it is spent within 1h.","runbook_url":"http://127.0.0.1:8080/runbooks/checkout/availability-fast-burn"},"startsAt":"2026-11-22T23:49:59.000Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=slo%%3Asli_error%%3Aratio_rate1h&g0.tab=1","fingerprint":"${run}%08x"}]], id % 1000, id % 1000, id)
end
local function body()
  local parts = {}
  for i = 1, ${alerts} do
    n = n + 1
    parts[i] = alert(n)
  end
  return '{"receiver":"burnbook","status":"firing","alerts":[' .. table.concat(parts, ",") ..
    '],"groupLabels":{"slo":"availability","slo_service":"checkout"},"commonLabels":{"alertname":"availability-fast-burn","severity":"page","slo":"availability","slo_service":"checkout","slo_tier":"fast","team":"payments"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}:{slo_service=checkout}","truncatedAlerts":0}'
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
${fresh ? 'request = function() return wrk.format(nil, nil, nil, body()) end' : 'wrk.body = body()'}
`;
}

async function storedAlerts(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const stored = /^burnbook_alerts_stored_total(?:\{\})? (\S+)$/m.exec(text);
  return Number(stored?.[1] ?? Number.NaN);
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

export async function receiverBench(args: string[]): Promise<void> {
  const options = flags(args);
  const seconds = numberFlag(options, 'seconds', 10);
  const connectionCounts = (options.get('connections') ?? '8,64').split(',').map(Number);
  if (!connectionCounts.every((c) => Number.isInteger(c) && c > 0)) {
    throw new Error(`--connections expects a list of positive integers, got ${options.get('connections')}`);
  }
  const connections = connectionCounts[0] as number;
  const fill = options.get('fill') === '0' ? 0 : numberFlag(options, 'fill', 1_000_000);
  const storeOption = options.get('store') ?? 'sqlite';
  if (storeOption !== 'sqlite' && storeOption !== 'postgres') {
    throw new Error(`--store expects sqlite or postgres, got ${storeOption}`);
  }
  const dir = tempDir('receiver');
  const dataDir = join(dir, 'data');

  const stores: Store[] = [
    {
      name: 'SQLite',
      server: await startNode({
        name: 'burnbook',
        logDir: dir,
        readyPath: '/healthz',
        args: ['bin/burnbook.js', 'serve', 'slos/', '--port', '{port}', '--data-dir', dataDir],
      }),
      size: async () => `SQLite files ${bytes(dirBytes(dataDir))}`,
    },
  ];
  if (storeOption === 'postgres') {
    progress('receiver: starting a throwaway PostgreSQL cluster');
    const postgres = await startPostgres();
    onCleanup(() => postgres.stop());
    const url = await postgres.createDatabase('burnbook_bench');
    stores.push({
      name: 'PostgreSQL',
      server: await startNode({
        name: 'burnbook-postgres',
        logDir: dir,
        readyPath: '/healthz',
        args: ['bin/burnbook.js', 'serve', 'slos/', '--port', '{port}', '--store', url],
      }),
      size: async () => {
        const [row] = await postgres.query<{ size: string }>('SELECT pg_database_size($1) AS size', [
          'burnbook_bench',
        ]);
        return `PostgreSQL database ${bytes(Number(row?.size))}`;
      },
    });
  }
  const [sqlite] = stores as [Store];
  const routeCheck = await fetch(`${sqlite.server.url}${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (routeCheck.status === 404) {
    for (const store of stores) await store.server.stop();
    process.stdout.write(
      `\n## Receiver\n\n  pending: ${PATH} is not served yet; this benchmark runs once it is.\n\n`,
    );
    return;
  }
  const bare = await startNode({
    name: 'bare',
    logDir: dir,
    readyPath: '/healthz',
    args: ['--import', 'tsx', 'bench/bare-receiver.ts', '{port}'],
  });

  const cases: Array<{ label: string; alerts: number; fresh: boolean }> = [
    { label: '1 alert, new fingerprint', alerts: 1, fresh: true },
    { label: '1 alert, repeated', alerts: 1, fresh: false },
    { label: '50 alerts, new fingerprints', alerts: 50, fresh: true },
    { label: '50 alerts, repeated', alerts: 50, fresh: false },
  ];
  type Row = {
    label: string;
    alerts: number;
    connections: number;
    store: string;
    bare: WrkResult;
    ours: WrkResult;
    sqlite: WrkResult | undefined;
  };
  const rows: Row[] = [];
  for (const c of cases) {
    for (const load of connectionCounts) {
      const file = join(dir, `${c.alerts}-${c.fresh ? 'new' : 'repeated'}-${load}.lua`);
      const run = (server: Child) => {
        // A new script per run: new fingerprints, and a repeated body is new to the store only once.
        writeFileSync(file, webhookScript(c.alerts, c.fresh));
        return wrk(`${server.url}${PATH}`, { connections: load, seconds, script: file });
      };
      progress(`receiver: ${c.label}, ${load} connections, bare route`);
      const bareResult = await run(bare);
      let sqliteResult: WrkResult | undefined;
      for (const store of stores) {
        progress(`receiver: ${c.label}, ${load} connections, ${store.name}`);
        const ours = await run(store.server);
        sqliteResult ??= ours;
        rows.push({
          label: c.label,
          alerts: c.alerts,
          connections: load,
          store: store.name,
          bare: bareResult,
          ours,
          sqlite: store === sqlite ? undefined : sqliteResult,
        });
      }
    }
  }
  const bareHealthz = await wrk(`${bare.url}/healthz`, { connections, seconds });
  await bare.stop();

  const ok = (r: Row) =>
    r.ours.requestsPerSecond >= 0.5 * r.bare.requestsPerSecond && r.ours.p99 < 0.02 && r.ours.errors === 0;
  printTable({
    title: `Webhook throughput (wrk, ${seconds} s each, 2 cores)`,
    columns: [
      'body',
      'connections',
      'store',
      'bare req/s',
      'burnbook req/s',
      'burnbook ÷ bare',
      ...(stores.length > 1 ? ['÷ SQLite'] : []),
      'alerts/s stored',
      'bare p99',
      'burnbook p50',
      'burnbook p99',
      'errors',
      'target',
    ],
    rows: rows.map((r) => [
      r.label,
      String(r.connections),
      r.store,
      r.bare.requestsPerSecond.toFixed(0),
      r.ours.requestsPerSecond.toFixed(0),
      percent(r.ours.requestsPerSecond, r.bare.requestsPerSecond),
      ...(stores.length > 1
        ? [r.sqlite ? percent(r.ours.requestsPerSecond, r.sqlite.requestsPerSecond) : '']
        : []),
      count(r.ours.requestsPerSecond * r.alerts),
      ms(r.bare.p99),
      ms(r.ours.p50),
      ms(r.ours.p99),
      String(r.ours.errors + r.bare.errors),
      ok(r) ? 'met' : 'MISSED',
    ]),
    notes: [
      "target: burnbook ≥ 50% of the bare route's requests/s, p99 < 20 ms, no errors",
      `bare fastify /healthz on the same machine: ${bareHealthz.requestsPerSecond.toFixed(0)} req/s`,
      ...rows
        .filter((r) => r.ours.errors || r.bare.errors)
        .map((r) => `${r.label}, ${r.connections} connections, ${r.store}: ${r.ours.errorDetail}`),
    ],
  });

  for (const store of stores) {
    if (fill > 0) await filled(store, dir, fill, Math.max(...connectionCounts), seconds);
    await store.server.stop();
  }
}

/** A burnbook under load, with the store it runs on and how big that store is now. */
interface Store {
  name: string;
  server: Child;
  size: () => Promise<string>;
}

/** Fills the store with new alerts, 50 per body, then measures what a big history costs the server. */
async function filled(
  store: Store,
  dir: string,
  target: number,
  connections: number,
  seconds: number,
): Promise<void> {
  const burnbook = store.server;
  const file = join(dir, 'fill.lua');
  writeFileSync(file, webhookScript(50, true));
  const started = Date.now();
  let stored = await storedAlerts(burnbook.url);
  while (stored < target) {
    const result = await wrk(`${burnbook.url}${PATH}`, { connections, seconds: 30, script: file });
    if (result.errors) throw new Error(`filling the store failed: ${result.errorDetail}`);
    stored = await storedAlerts(burnbook.url);
    progress(
      `receiver: ${store.name}: ${count(stored)} alerts stored (${result.requestsPerSecond.toFixed(0)} bodies/s)`,
    );
    // Each wrk run starts its count again: a new script brings a new prefix, so new fingerprints.
    writeFileSync(file, webhookScript(50, true));
  }
  const fillSeconds = (Date.now() - started) / 1000;
  const rss = await rssBytes(burnbook.pid);
  const alertsPage = await wrk(`${burnbook.url}/alerts`, { connections: 4, seconds });
  const firingPage = await wrk(`${burnbook.url}/alerts?status=firing&service=checkout`, {
    connections: 4,
    seconds,
  });
  const api = await wrk(`${burnbook.url}/api/v1/alerts`, { connections: 4, seconds });
  const runbook = await wrk(`${burnbook.url}/runbooks/checkout/availability-fast-burn`, {
    connections: 4,
    seconds,
  });
  const healthz = await wrk(`${burnbook.url}/healthz`, { connections: 4, seconds });
  const rssAfter = await rssBytes(burnbook.pid);
  const row = (label: string, r: WrkResult) => [
    label,
    ms(r.p50),
    ms(r.p99),
    r.requestsPerSecond.toFixed(0),
    String(r.errors),
    times(r.p50, healthz.p50),
  ];
  printTable({
    title: `${store.name}: with ${count(stored)} alerts stored (filled in ${fillSeconds.toFixed(0)} s)`,
    columns: ['page', 'p50', 'p99', 'req/s', 'errors', 'p50 ÷ /healthz p50'],
    rows: [
      row('/alerts (newest 50)', alertsPage),
      row('/alerts?status=firing&service=checkout', firingPage),
      row('/api/v1/alerts (newest 100)', api),
      row('/runbooks/checkout/availability-fast-burn (its alerts section)', runbook),
      row('/healthz', healthz),
    ],
    notes: [
      `burnbook RSS: ${bytes(rss)} after filling, ${bytes(rssAfter)} after the page loads; ${await store.size()}`,
    ],
  });
}
