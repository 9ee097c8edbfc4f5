/** A real Prometheus over a data directory the benchmark prepared, and the few API calls it needs. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startServer } from '../test/support/process.ts';
import { requireTool } from '../test/support/tools.ts';
import { onCleanup } from './support.ts';

export interface BenchPrometheus {
  url: string;
  pid: number;
  /** Rewrites prometheus.yml with these rule files and reloads it. */
  loadRules(files: string[]): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusConfig {
  scrapeTarget: string;
  scrapeIntervalSeconds: number;
  evaluationIntervalSeconds: number;
  /** Loaded from the start, so recordings have no gap after the backfilled ones. */
  ruleFiles?: string[];
}

export async function startPrometheus(
  dir: string,
  dataDir: string,
  config: PrometheusConfig,
  extraArgs: string[] = [],
): Promise<BenchPrometheus> {
  const binary = requireTool('/usr/bin/prometheus');
  const configPath = join(dir, 'prometheus.yml');
  const writeConfig = (ruleFiles: string[]) =>
    writeFileSync(
      configPath,
      stringify({
        global: {
          scrape_interval: `${config.scrapeIntervalSeconds}s`,
          evaluation_interval: `${config.evaluationIntervalSeconds}s`,
        },
        rule_files: ruleFiles,
        scrape_configs: [
          {
            job_name: 'bench',
            // The exporter stands in for every service: its `job` and `instance` labels are the data's.
            honor_labels: true,
            static_configs: [{ targets: [config.scrapeTarget] }],
          },
        ],
      }),
    );
  writeConfig(config.ruleFiles ?? []);
  // startServer removes its directory on stop(); the data directory must outlive it.
  const serverDir = join(dir, 'server');
  mkdirSync(serverDir, { recursive: true });
  const server = await startServer({
    name: 'Prometheus',
    binary,
    dir: serverDir,
    readyPath: '/-/ready',
    readyTimeoutMs: 120_000,
    args: (port) => [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=90d',
      ...extraArgs,
    ],
  });
  const stop = onCleanup(() => server.stop());
  return {
    url: server.url,
    pid: server.pid,
    async loadRules(files) {
      writeConfig(files);
      const response = await fetch(`${server.url}/-/reload`, { method: 'POST' });
      if (!response.ok) throw new Error(`Prometheus rejected the rules: ${await response.text()}`);
    },
    stop,
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus's own /metrics, parsed just enough for gauges and counters. */
export async function metrics(url: string): Promise<Sample[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k as string] = (v as string).replace(/\\(.)/g, '$1');
    }
    out.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return out;
}

/** The process's CPU so far, in seconds (`process_cpu_seconds_total` on its /metrics). */
export async function processCpu(url: string): Promise<number> {
  return (await metrics(url)).find((s) => s.name === 'process_cpu_seconds_total')?.value ?? Number.NaN;
}

export interface QueryStats {
  samples: number;
  peakSamples: number;
  evalSeconds: number;
}

export interface QueryResult {
  result: Array<{ metric: Record<string, string>; value: [number, string] }>;
  stats: QueryStats;
}

/** An instant query with `stats=all`: how many samples it read and how long the engine took. */
export async function query(url: string, expr: string, time: number): Promise<QueryResult> {
  const body = new URLSearchParams({ query: expr, time: String(time), stats: 'all' });
  const response = await fetch(`${url}/api/v1/query`, { method: 'POST', body });
  const json = (await response.json()) as {
    status: string;
    error?: string;
    data?: {
      result: QueryResult['result'];
      stats: {
        timings: { evalTotalTime: number };
        samples?: { totalQueryableSamples: number; peakSamples: number };
      };
    };
  };
  if (json.status !== 'success' || !json.data) throw new Error(`query failed: ${json.error}: ${expr}`);
  const { timings, samples } = json.data.stats;
  return {
    result: json.data.result,
    stats: {
      samples: samples?.totalQueryableSamples ?? Number.NaN,
      peakSamples: samples?.peakSamples ?? Number.NaN,
      evalSeconds: timings.evalTotalTime,
    },
  };
}

export interface RulesApiGroup {
  name: string;
  file: string;
  evaluationTime: number;
  lastEvaluation: string;
  rules: Array<{
    name: string;
    query: string;
    health: string;
    lastError?: string;
    evaluationTime: number;
    type: 'recording' | 'alerting';
    alerts?: Array<{ labels: Record<string, string>; state: string }>;
  }>;
}

export async function ruleGroups(url: string): Promise<RulesApiGroup[]> {
  const json = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: RulesApiGroup[] } };
  return json.data.groups;
}

interface BlockMeta {
  dir: string;
  minTime: number;
  maxTime: number;
}

/** The data directory's blocks, from their meta.json; blocks still being written are skipped. */
export function blocks(dataDir: string): BlockMeta[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir)
    .filter((d) => /^[0-9A-Z]{26}$/.test(d) && existsSync(join(dataDir, d, 'meta.json')))
    .map((d) => {
      const meta = JSON.parse(readFileSync(join(dataDir, d, 'meta.json'), 'utf8')) as BlockMeta;
      return { dir: d, minTime: meta.minTime, maxTime: meta.maxTime };
    });
}

/** Whether any two blocks overlap in time: Prometheus merges those in the background. */
export function overlapping(list: BlockMeta[]): boolean {
  const sorted = [...list].sort((a, b) => a.minTime - b.minTime);
  return sorted.some((b, i) => i > 0 && b.minTime < (sorted[i - 1] as BlockMeta).maxTime);
}
