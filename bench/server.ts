/**
 * `burnbook serve` at 10,000 SLOs (500 files of 20, the generate benchmark's mix of SLI kinds) against a
 * real, healthy Prometheus that holds their recording rules and scrapes their series from a small exporter:
 * startup time, resident memory, `/` and an SLO page under wrk, and the evaluator's cycle time; Prometheus's
 * CPU while it evaluates the rules. Baselines in the same run: the same server at 100 SLOs (the first five
 * files) against the same Prometheus, and a static file route (the chart library) of each server.
 * Targets (issue 21): start ≤ 5 s, `/` p99 ≤ 300 ms, a cycle ≤ the evaluation interval.
 *
 * Options: --slos 10000  --baseline-slos 100  --seconds 10 (per wrk run)  --connections 4
 * --interval 30 (the evaluator's, seconds)  --rule-interval 120 (Prometheus's, seconds: at 60 it misses
 * half its group iterations for 10,000 SLOs on 2 shared cores)  --cycles 2  --prometheus-timeout 10s (the
 * servers' `--prometheus-timeout`)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { SiteUrls, sloPath } from '../src/conventions/urls.ts';
import { renderedFiles } from '../src/outputs/output.ts';
import { rulesOutput } from '../src/outputs/rules/output.ts';
import { loadSpecs } from '../src/spec/load.ts';
import type { Slo } from '../src/spec/model.ts';
import { freePort } from '../test/support/ports.ts';
import { writeSpecs } from './generate.ts';
import { type BenchPrometheus, metrics, processCpu, query, startPrometheus } from './prometheus.ts';
import { type Child, rssBytes, startNode, type WrkResult, wrk } from './servers.ts';
import {
  bytes,
  count,
  flags,
  median,
  ms,
  numberFlag,
  onCleanup,
  printTable,
  progress,
  sleep,
  tempDir,
  times,
} from './support.ts';

const PER_FILE = 20;
const STATIC_PATH = '/assets/uplot.iife.min.js';

/**
 * Every series the specs read, as counters growing at a steady rate with 0.05% errors (and 1% slow
 * requests), so every SLO has numbers and none burns. The text is built once per scrape.
 */
function exposition(slos: Slo[], seconds: number): string {
  const lines: string[] = [];
  const counter = (name: string, labels: string, perSecond: number) =>
    lines.push(`${name}{${labels}} ${Math.floor(perSecond * seconds)}`);
  for (const slo of slos) {
    // Every selector of the generate benchmark's specs names the SLO's handler.
    const handler = /handler=\\?"([^"\\]+)/.exec(JSON.stringify(slo.sli.spec))?.[1];
    const base = `job="${slo.service}",handler="${handler}"`;
    switch (slo.sli.kind) {
      case 'ratio':
        if (slo.groupBy.length) {
          for (const tenant of ['acme', 'globex']) {
            counter('search_requests_total', `${base},tenant="${tenant}",status="ok"`, 20);
            counter('search_requests_total', `${base},tenant="${tenant}",status="error"`, 0.01);
          }
        } else {
          counter('http_requests_total', `${base},code="200"`, 20);
          counter('http_requests_total', `${base},code="500"`, 0.01);
        }
        break;
      case 'latency':
        counter('http_request_duration_seconds_bucket', `${base},le="0.3"`, 19.8);
        counter('http_request_duration_seconds_bucket', `${base},le="+Inf"`, 20);
        counter('http_request_duration_seconds_count', base, 20);
        break;
      default:
        counter('writes_total', base, 20);
        counter('write_failures_total', base, 0.005);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function exporter(slos: Slo[]): Promise<string> {
  const started = Date.now() / 1000 - 3600;
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(exposition(slos, Date.now() / 1000 - started));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `127.0.0.1:${port}`;
}

/**
 * Waits until Prometheus has recorded the 5m ratio of 90% of the SLOs: its rules are running. On 2 shared
 * cores its first cycle over 10,000 groups takes minutes; the evaluator reads the rest from the raw SLI.
 */
async function waitForRecords(prometheus: BenchPrometheus, slos: number): Promise<number> {
  const deadline = Date.now() + 8 * 60_000;
  for (;;) {
    const answer = await query(
      prometheus.url,
      'count(count by (slo_service, slo) (slo:sli_error:ratio_rate5m))',
      Date.now() / 1000,
    );
    const recorded = Number(answer.result[0]?.value[1] ?? 0);
    if (recorded >= 0.9 * slos) return recorded;
    if (Date.now() > deadline)
      throw new Error(`Prometheus recorded only ${recorded} of ${slos} SLOs' ratios`);
    progress(`  Prometheus has recorded ${recorded} of ${slos} SLOs' 5m ratios`);
    await sleep(10_000);
  }
}

interface ServerResult {
  slos: number;
  startSeconds: number;
  rssAtStart: number;
  rssAfter: number;
  cycles: number;
  cycleSeconds: number;
  cycleResults: string;
  index: WrkResult;
  page: WrkResult;
  staticFile: WrkResult;
}

/**
 * The evaluator's cycles so far (count), their mean duration (seconds) and how they ended (`ok 3, failed 1`),
 * from the server's /metrics.
 */
async function evaluatorCycles(url: string): Promise<{ count: number; mean: number; results: string }> {
  const samples = await metrics(url);
  const value = (name: string) => samples.find((s) => s.name === name)?.value ?? 0;
  const n = value('burnbook_evaluation_duration_seconds_count');
  const results = samples
    .filter((s) => s.name === 'burnbook_evaluations_total')
    .map((s) => `${s.labels.result} ${s.value}`)
    .join(', ');
  return { count: n, mean: n ? value('burnbook_evaluation_duration_seconds_sum') / n : Number.NaN, results };
}

async function measureServer(options: {
  dir: string;
  name: string;
  specs: string;
  slos: Slo[];
  prometheusUrl: string;
  intervalSeconds: number;
  prometheusTimeout: string;
  cycles: number;
  seconds: number;
  connections: number;
}): Promise<ServerResult> {
  progress(`${options.name}: starting burnbook serve with ${count(options.slos.length)} SLOs`);
  const started = Date.now();
  const server: Child = await startNode({
    name: options.name,
    logDir: options.dir,
    readyPath: '/healthz',
    args: [
      'bin/burnbook.js',
      'serve',
      options.specs,
      '--port',
      '{port}',
      '--data-dir',
      join(options.dir, `data-${options.name}`),
      '--prometheus-url',
      options.prometheusUrl,
      '--evaluation-interval',
      `${options.intervalSeconds}s`,
      '--prometheus-timeout',
      options.prometheusTimeout,
    ],
  });
  const startSeconds = (Date.now() - started) / 1000;
  const rssAtStart = await rssBytes(server.pid);
  // The first cycle also warms caches and the connection pool; the mean below includes it.
  const deadline = Date.now() + (options.cycles + 2) * options.intervalSeconds * 1000 + 120_000;
  let cycles = await evaluatorCycles(server.url);
  while (cycles.count < options.cycles + 1) {
    if (Date.now() > deadline) throw new Error(`${options.name}: only ${cycles.count} evaluator cycles`);
    // Not more often: at 10,000 SLOs one /metrics takes the server's main thread about a second.
    await sleep(10_000);
    cycles = await evaluatorCycles(server.url);
  }
  const pagePath = sloPath(options.slos[options.slos.length >> 1] as Slo);
  const run = async (path: string) => {
    const check = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(60_000) });
    await check.body?.cancel();
    if (!check.ok) throw new Error(`${options.name}: ${path} answered ${check.status}`);
    progress(`${options.name}: wrk ${path} for ${options.seconds} s`);
    return wrk(`${server.url}${path}`, { connections: options.connections, seconds: options.seconds });
  };
  const index = await run('/');
  const page = await run(pagePath);
  const staticFile = await run(STATIC_PATH);
  const rssAfter = await rssBytes(server.pid);
  await server.stop();
  return {
    slos: options.slos.length,
    startSeconds,
    rssAtStart,
    rssAfter,
    cycles: cycles.count,
    cycleSeconds: cycles.mean,
    cycleResults: cycles.results,
    index,
    page,
    staticFile,
  };
}

export async function serverBench(args: string[]): Promise<void> {
  const options = flags(args);
  const total = numberFlag(options, 'slos', 10_000);
  const baselineSlos = numberFlag(options, 'baseline-slos', 100);
  const seconds = numberFlag(options, 'seconds', 10);
  const connections = numberFlag(options, 'connections', 4);
  const intervalSeconds = numberFlag(options, 'interval', 30);
  const ruleInterval = numberFlag(options, 'rule-interval', 120);
  const cycles = numberFlag(options, 'cycles', 2);
  const dir = tempDir('server');

  progress(`server: writing ${count(total)} SLOs in ${Math.ceil(total / PER_FILE)} files`);
  const specs = join(dir, 'specs');
  writeSpecs(specs, total, PER_FILE);
  const small = join(dir, 'specs-small');
  writeSpecs(small, baselineSlos, PER_FILE);
  const loaded = loadSpecs([specs]);
  if (loaded.errors.length) throw new Error(`bench specs are invalid: ${JSON.stringify(loaded.errors[0])}`);
  const slos = loaded.slos;
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  const ruleFiles = renderedFiles(
    rulesOutput({ dir: '.', alerts: { urls: new SiteUrls('http://127.0.0.1:8080') } }),
    slos,
  )
    .filter((f) => f.path.endsWith('.yaml') && !f.path.includes('/'))
    .map((f) => {
      const path = join(rulesDir, f.path);
      writeFileSync(path, f.content);
      return path;
    });
  const ruleCount = ruleFiles.length;
  progress(`server: ${ruleCount} rule files; starting Prometheus and the exporter`);
  const target = await exporter(slos);
  const prometheus = await startPrometheus(dir, join(dir, 'data'), {
    scrapeTarget: target,
    scrapeIntervalSeconds: 15,
    evaluationIntervalSeconds: ruleInterval,
    ruleFiles,
  });
  const recorded = await waitForRecords(prometheus, slos.length);
  progress(`server: Prometheus has recorded ${count(recorded)} SLOs' 5m ratios`);

  const cpuStart = await processCpu(prometheus.url);
  const wallStart = Date.now();
  const common = {
    dir,
    prometheusUrl: prometheus.url,
    intervalSeconds,
    prometheusTimeout: options.get('prometheus-timeout') ?? '10s',
    cycles,
    seconds,
    connections,
  };
  const large = await measureServer({ ...common, name: 'serve-large', specs, slos });
  const baseline = await measureServer({
    ...common,
    name: 'serve-small',
    specs: small,
    slos: slos.slice(0, baselineSlos),
  });
  const cpuPerMinute = (((await processCpu(prometheus.url)) - cpuStart) / (Date.now() - wallStart)) * 60_000;
  const groupSeconds = (await metrics(prometheus.url))
    .filter((s) => s.name === 'prometheus_rule_group_last_duration_seconds')
    .map((s) => s.value);
  const missed = (await metrics(prometheus.url))
    .filter((s) => s.name === 'prometheus_rule_group_iterations_missed_total')
    .reduce((sum, s) => sum + s.value, 0);
  await prometheus.stop();

  const pair = (f: (r: ServerResult) => string) => [f(large), f(baseline)];
  const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
  printTable({
    title: `burnbook serve at ${count(total)} SLOs against a healthy Prometheus (wrk, ${connections} connections, ${seconds} s each)`,
    columns: ['figure', `${count(total)} SLOs`, `${baselineSlos} SLOs (baseline)`, 'ratio', 'target'],
    rows: [
      [
        'startup (spawn to /healthz 200)',
        ...pair((r) => ms(r.startSeconds)),
        times(large.startSeconds, baseline.startSeconds),
        `≤ 5 s: ${met(large.startSeconds <= 5)}`,
      ],
      [
        'RSS after start',
        ...pair((r) => bytes(r.rssAtStart)),
        times(large.rssAtStart, baseline.rssAtStart),
        '',
      ],
      ['RSS after the load', ...pair((r) => bytes(r.rssAfter)), times(large.rssAfter, baseline.rssAfter), ''],
      [
        `evaluator cycle (mean of ${large.cycles})`,
        ...pair((r) => ms(r.cycleSeconds)),
        times(large.cycleSeconds, baseline.cycleSeconds),
        `≤ ${intervalSeconds} s: ${met(large.cycleSeconds <= intervalSeconds)}`,
      ],
      ['evaluator cycles by result', ...pair((r) => r.cycleResults), '', ''],
      ['/ p50', ...pair((r) => ms(r.index.p50)), times(large.index.p50, baseline.index.p50), ''],
      [
        '/ p99',
        ...pair((r) => ms(r.index.p99)),
        times(large.index.p99, baseline.index.p99),
        `≤ 300 ms: ${met(large.index.p99 <= 0.3)}`,
      ],
      ['/ req/s', ...pair((r) => r.index.requestsPerSecond.toFixed(0)), '', ''],
      ['SLO page p50', ...pair((r) => ms(r.page.p50)), times(large.page.p50, baseline.page.p50), ''],
      ['SLO page p99', ...pair((r) => ms(r.page.p99)), times(large.page.p99, baseline.page.p99), ''],
      [
        `static file p50 (${STATIC_PATH})`,
        ...pair((r) => ms(r.staticFile.p50)),
        times(large.staticFile.p50, baseline.staticFile.p50),
        '',
      ],
      [
        'static file p99',
        ...pair((r) => ms(r.staticFile.p99)),
        times(large.staticFile.p99, baseline.staticFile.p99),
        '',
      ],
      ['errors (wrk)', ...pair((r) => String(r.index.errors + r.page.errors + r.staticFile.errors)), '', ''],
    ],
    notes: [
      `Prometheus: ${count(ruleCount)} rule files for ${count(total)} SLOs, every ${ruleInterval}s, ` +
        `${count(recorded)} SLOs' ratios recorded when the servers started; ` +
        `CPU ${cpuPerMinute.toFixed(1)} s/min while both servers ran; a rule group's last evaluation took ${ms(median(groupSeconds))} at the median; ` +
        `${count(missed)} group iterations missed since it started`,
      `evaluator every ${intervalSeconds}s, --prometheus-timeout ${common.prometheusTimeout}; its cycle: burnbook_evaluation_duration_seconds (sum ÷ count, the first cycle included) after ${cycles + 1} cycles`,
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} at the end (2 cores, shared)`,
    ],
  });
}
