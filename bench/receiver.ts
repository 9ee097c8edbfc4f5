/**
 * `POST /hooks/alertmanager` of `burnbook serve` (durable SQLite store, no Prometheus, so no evidence
 * capture) as a child process loaded by wrk, against SQLite's own ceiling: the store's statements run
 * directly, the same bodies group-committed as many per transaction as connections wait, with no HTTP and
 * no validation (sqlite-ceiling.ts). A bare fastify route that only parses the JSON is shown beside them,
 * for what HTTP alone costs. Bodies like Alertmanager's (webhook-bodies.ts): 1 and 50 alerts per body,
 * fingerprints new on every request or the same again (at-least-once redelivery). Then fills the store to
 * --fill alerts and measures memory and the pages' latency, and last sends a realistic Alertmanager load
 * (--rate bodies/s of 50 alerts, a tenth of them new, for --realistic seconds) while the pages are read
 * (--pages per second), each latency measured from when it was due, so a stall cannot hide.
 *
 * Each case runs at 8 connections (a few Alertmanager groups notifying at once) and 64 (many): with an fsync
 * per commit, a receiver that answers after the commit serves at most connections ÷ commit latency requests
 * per second (Little's law), so 8 connections measure latency as much as throughput.
 *
 * With `--store postgres`, a second burnbook keeps its history in a throwaway PostgreSQL cluster (initdb +
 * pg_ctl, as the tests start it; fsync on) and every case runs against both stores in the same run: a row
 * per store, with PostgreSQL's throughput as a share of SQLite's.
 *
 * Options: --seconds 10  --connections 8,64  --fill 1000000 (0 to skip)  --realistic 60 (0 to skip)
 *   --rate 20  --pages 5  --store sqlite|postgres
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
import { runPrefix, webhookBody, webhookScript } from './webhook-bodies.ts';

const PATH = '/hooks/alertmanager';

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
  const realisticSeconds = options.get('realistic') === '0' ? 0 : numberFlag(options, 'realistic', 60);
  const rate = numberFlag(options, 'rate', 20);
  const pagesPerSecond = numberFlag(options, 'pages', 5);
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
  const ceilingDir = join(dir, 'ceiling');

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
    ceiling: Ceiling;
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
      progress(`receiver: ${c.label}, ${load} connections, SQLite's ceiling`);
      const ceiling = await sqliteCeiling(ceilingDir, c.alerts, c.fresh, load, seconds);
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
          ceiling,
          bare: bareResult,
          ours,
          sqlite: store === sqlite ? undefined : sqliteResult,
        });
      }
    }
  }
  const bareHealthz = await wrk(`${bare.url}/healthz`, { connections, seconds });

  const ok = (r: Row) => r.ours.requestsPerSecond >= 0.5 * r.ceiling.bodiesPerSecond && r.ours.errors === 0;
  printTable({
    title: `Webhook throughput (wrk, ${seconds} s each, 2 cores, load average ${loadAverage()})`,
    columns: [
      'body',
      'connections',
      'store',
      'SQLite ceiling bodies/s',
      'burnbook req/s',
      'burnbook ÷ ceiling',
      ...(stores.length > 1 ? ['÷ SQLite'] : []),
      'alerts/s stored',
      'bare route req/s',
      'ceiling commit p99',
      'burnbook p50',
      'burnbook p99',
      'errors',
      'target',
    ],
    rows: rows.map((r) => [
      r.label,
      String(r.connections),
      r.store,
      r.ceiling.bodiesPerSecond.toFixed(0),
      r.ours.requestsPerSecond.toFixed(0),
      percent(r.ours.requestsPerSecond, r.ceiling.bodiesPerSecond),
      ...(stores.length > 1
        ? [r.sqlite ? percent(r.ours.requestsPerSecond, r.sqlite.requestsPerSecond) : '']
        : []),
      count(r.ours.requestsPerSecond * r.alerts),
      r.bare.requestsPerSecond.toFixed(0),
      ms(r.ceiling.commitP99),
      ms(r.ours.p50),
      ms(r.ours.p99),
      String(r.ours.errors + r.bare.errors),
      ok(r) ? 'met' : 'MISSED',
    ]),
    notes: [
      "target: burnbook ≥ 50% of SQLite's ceiling (the store's statements with the same group commit, no HTTP, no validation), no errors",
      `bare fastify /healthz on the same machine: ${bareHealthz.requestsPerSecond.toFixed(0)} req/s`,
      ...rows
        .filter((r) => r.ours.errors || r.bare.errors)
        .map((r) => `${r.label}, ${r.connections} connections, ${r.store}: ${r.ours.errorDetail}`),
    ],
  });

  for (const store of stores) {
    if (fill > 0) await filled(store, dir, fill, Math.max(...connectionCounts), seconds);
    if (realisticSeconds > 0) {
      const load = { seconds: realisticSeconds, rate, pagesPerSecond };
      // The baseline, just before: the same schedule against the bare route, which stores nothing.
      const baseline = await realistic(bare, load, ['/healthz']);
      const ours = await realistic(store.server, load, PAGES);
      printRealistic(store.name, load, baseline, ours);
    }
    await store.server.stop();
  }
  await bare.stop();
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
    title: `${store.name}: with ${count(stored)} alerts stored (filled in ${fillSeconds.toFixed(0)} s, load average ${loadAverage()})`,
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

interface Ceiling {
  bodiesPerSecond: number;
  /** Seconds. */
  commitP99: number;
}

/** SQLite's ceiling for one case, in a child process of its own like the server (sqlite-ceiling.ts). */
async function sqliteCeiling(
  dataDir: string,
  alerts: number,
  fresh: boolean,
  batch: number,
  seconds: number,
): Promise<Ceiling> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    'bench/sqlite-ceiling.ts',
    dataDir,
    String(alerts),
    fresh ? 'new' : 'repeated',
    String(batch),
    String(seconds),
  ]);
  return JSON.parse(stdout) as Ceiling;
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
}

/** Latencies in seconds, sorted. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

const PAGES = [
  '/alerts',
  '/alerts?status=firing&service=checkout',
  '/api/v1/alerts',
  '/runbooks/checkout/availability-fast-burn',
  '/healthz',
];

interface Realistic {
  /** Seconds, sorted; from when each request was due. */
  webhooks: number[];
  reads: Map<string, number[]>;
  failures: number;
  loadAverage: string;
}

type RealisticLoad = { seconds: number; rate: number; pagesPerSecond: number };

/**
 * An Alertmanager's load as it comes: `rate` bodies a second of 50 alerts, 5 new and 45 it sent before
 * (group_interval resends), each sent when due whatever the earlier ones are doing (an open loop: a stall
 * shows in every request due during it), while `pages` are read `pagesPerSecond` times a second, also
 * open-loop. Every latency counts from when the request was due.
 */
async function realistic(server: Child, load: RealisticLoad, pages: readonly string[]): Promise<Realistic> {
  const { url } = server;
  const run = runPrefix();
  let next = 0;
  const body = () => {
    const fresh = Array.from({ length: 5 }, () => ++next);
    const seen = Array.from({ length: 45 }, () => 1 + Math.floor(Math.random() * Math.max(1, next - 5)));
    return webhookBody(run, [...new Set([...fresh, ...seen])]);
  };
  const webhooks: number[] = [];
  const reads = new Map<string, number[]>(pages.map((page) => [page, []]));
  let failures = 0;
  const timed = async (due: number, request: () => Promise<Response>, into: number[]) => {
    try {
      const response = await request();
      await response.arrayBuffer();
      if (!response.ok) failures++;
    } catch {
      failures++;
    }
    into.push((performance.now() - due) / 1000);
  };
  progress(
    `receiver: realistic load on ${url}, ${load.rate} bodies/s of 50 alerts and ${load.pagesPerSecond} pages/s for ${load.seconds} s`,
  );
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  const schedule = (every: number, send: (due: number, n: number) => Promise<void>) =>
    new Promise<void>((done) => {
      let n = 0;
      const tick = () => {
        const due = started + n * every;
        if (due - started >= load.seconds * 1000) return done();
        inFlight.push(send(due, n++));
        setTimeout(tick, Math.max(0, started + n * every - performance.now()));
      };
      tick();
    });
  const signal = () => AbortSignal.timeout(30_000);
  await Promise.all([
    schedule(1000 / load.rate, (due) =>
      timed(
        due,
        () =>
          fetch(`${url}${PATH}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: body(),
            signal: signal(),
          }),
        webhooks,
      ),
    ),
    schedule(1000 / load.pagesPerSecond, (due, n) => {
      const page = pages[n % pages.length] as string;
      return timed(due, () => fetch(`${url}${page}`, { signal: signal() }), reads.get(page) ?? []);
    }),
  ]);
  await Promise.all(inFlight);
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  return {
    webhooks: sorted(webhooks),
    reads: new Map([...reads].map(([page, values]) => [page, sorted(values)])),
    failures,
    loadAverage: loadAverage(),
  };
}

function printRealistic(name: string, load: RealisticLoad, baseline: Realistic, ours: Realistic): void {
  const row = (label: string, latencies: number[], base: number[] | undefined) => [
    label,
    String(latencies.length),
    ms(quantile(latencies, 0.5)),
    ms(quantile(latencies, 0.99)),
    ms(latencies.at(-1) ?? Number.NaN),
    base ? ms(quantile(base, 0.99)) : '',
  ];
  const p99 = quantile(ours.webhooks, 0.99);
  printTable({
    title: `${name}: a realistic Alertmanager load while the pages are read (${load.seconds} s, load average ${ours.loadAverage})`,
    columns: ['requests', 'count', 'p50', 'p99', 'slowest', 'bare route p99, same schedule'],
    rows: [
      row(`webhook, ${load.rate}/s of 50 alerts (5 new, 45 repeated)`, ours.webhooks, baseline.webhooks),
      ...[...ours.reads].map(([page, latencies]) =>
        row(`${page}, ${load.pagesPerSecond / PAGES.length}/s`, latencies, baseline.reads.get(page)),
      ),
    ],
    notes: [
      `target: webhook p99 < 20 ms, no failures: ${p99 < 0.02 && ours.failures === 0 ? 'met' : 'MISSED'} (${ours.failures} failed)`,
      `baseline: the same schedule against the bare route (parses the JSON, stores nothing), just before; load average then ${baseline.loadAverage}`,
    ],
  });
}
