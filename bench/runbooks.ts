/**
 * Runbook page latency of `burnbook serve` (the example SLOs) with no Prometheus, a healthy one, a slow one
 * (answers after 30 s, beyond every timeout) and one that is down (connection refused). Baseline, same
 * server and run: `/healthz`. A page must never hang: its slowest answer is bounded by the page's own
 * timeout for Prometheus.
 *
 * Options: --seconds 10 (per measurement)  --connections 4  --page /runbooks/checkout/availability-fast-burn
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { countersToOpenMetrics } from '../test/support/openmetrics.ts';
import { freePort } from '../test/support/ports.ts';
import { startPrometheus } from '../test/support/prometheus.ts';
import { type Child, startNode, type WrkResult, wrk } from './servers.ts';
import { flags, ms, numberFlag, onCleanup, printTable, progress, sleep, tempDir, times } from './support.ts';

const SLOW_ANSWER_MS = 30_000;

/** Answers every request, eventually: after the page, the evaluator and the client have all given up. */
async function slowPrometheus(): Promise<string> {
  const server: Server = createServer((_request, response) => {
    const timer = setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"status":"success","data":{"resultType":"vector","result":[]}}');
    }, SLOW_ANSWER_MS);
    response.on('close', () => clearTimeout(timer));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${port}`;
}

/** A real Prometheus with burnbook's rules for the examples and three hours of checkout traffic. */
async function healthyPrometheus(): Promise<string> {
  const end = new Date(Math.floor(Date.now() / 15_000) * 15_000);
  const start = new Date(end.getTime() - 3 * 3_600_000);
  const counters = ['/pay', '/cart'].flatMap((route) =>
    ['200', '500'].map((code) => ({
      name: 'http_requests_total',
      labels: { job: 'checkout', route, code },
      increment: () => (code === '200' ? 150 : 1),
    })),
  );
  const prometheus = await startPrometheus({
    ruleFiles: ['rules/checkout.yaml', 'rules/ledger.yaml', 'rules/search.yaml'],
    evaluationInterval: '30s',
    backfillOpenMetrics: countersToOpenMetrics(counters, { start, end, stepSeconds: 15 }),
  });
  onCleanup(() => prometheus.stop());
  return prometheus.url;
}

async function serve(dir: string, name: string, prometheusUrl: string | undefined): Promise<Child> {
  return startNode({
    name,
    logDir: dir,
    readyPath: '/healthz',
    args: [
      'bin/burnbook.js',
      'serve',
      'slos/',
      '--port',
      '{port}',
      '--data-dir',
      join(dir, `data-${name}`),
      ...(prometheusUrl ? ['--prometheus-url', prometheusUrl] : []),
    ],
  });
}

interface Scenario {
  name: string;
  healthz: WrkResult;
  page: WrkResult;
}

export async function runbooksBench(args: string[]): Promise<void> {
  const options = flags(args);
  const seconds = numberFlag(options, 'seconds', 10);
  const connections = numberFlag(options, 'connections', 4);
  const page = options.get('page') ?? '/runbooks/checkout/availability-fast-burn';
  const dir = tempDir('runbooks');

  const prometheusUrls: Array<[string, () => Promise<string | undefined>]> = [
    ['no Prometheus', async () => undefined],
    ['healthy Prometheus', healthyPrometheus],
    [`slow Prometheus (answers after ${SLOW_ANSWER_MS / 1000} s)`, slowPrometheus],
    ['Prometheus down (connection refused)', async () => `http://127.0.0.1:${await freePort()}`],
  ];
  const results: Scenario[] = [];
  for (const [name, prometheus] of prometheusUrls) {
    progress(`runbooks: ${name}`);
    const server = await serve(dir, `serve-${results.length}`, await prometheus());
    const check = await fetch(`${server.url}${page}`, { signal: AbortSignal.timeout(60_000) });
    if (!check.ok) throw new Error(`${page} answered ${check.status}`);
    await check.body?.cancel();
    // The page is measured first: with a slow Prometheus, that includes the seconds before the evaluator
    // has found it slow, when every page waits out its own timeout.
    const pageResult = await wrk(`${server.url}${page}`, { connections, seconds: seconds * 2 });
    const healthz = await wrk(`${server.url}/healthz`, { connections, seconds });
    results.push({ name, healthz, page: pageResult });
    await server.stop();
    await sleep(500);
  }

  printTable({
    title: `Runbook page latency (${page}; wrk, ${connections} connections, 2 cores)`,
    columns: [
      'Prometheus',
      'page p50',
      'page p99',
      'page max',
      'page req/s',
      'errors',
      '/healthz p50',
      '/healthz p99',
      '/healthz req/s',
      'page p50 ÷ /healthz p50',
    ],
    rows: results.map((r) => [
      r.name,
      ms(r.page.p50),
      ms(r.page.p99),
      ms(r.page.max),
      r.page.requestsPerSecond.toFixed(0),
      String(r.page.errors + r.healthz.errors),
      ms(r.healthz.p50),
      ms(r.healthz.p99),
      r.healthz.requestsPerSecond.toFixed(0),
      times(r.page.p50, r.healthz.p50),
    ]),
    notes: [
      `page: ${seconds * 2} s of load started right after the server was ready; /healthz: ${seconds} s after it`,
      'a page waits at most 3 s for Prometheus (PROVIDER_TIMEOUT_MS), then says it did not answer; ' +
        'once the evaluator has found Prometheus down or slow (--prometheus-timeout, default 10 s), pages say so at once',
      ...results
        .filter((r) => r.page.errors || r.healthz.errors)
        .map((r) => `${r.name}: ${r.page.errorDetail}`),
    ],
  });
}
