/** A real Prometheus for tests: fresh config and data dir, optional backfilled history, loopback only. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startServer } from './process.ts';
import { requireTool } from './tools.ts';

export interface PrometheusOptions {
  /** Rule files to load; relative paths are taken from the current directory. */
  ruleFiles?: string[];
  /** `host:port` targets, scraped as job `test`. Their own `job` and `instance` labels are kept. */
  scrapeTargets?: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** Where firing alerts go, e.g. the url of startAlertmanager(). */
  alertmanagerUrl?: string;
  /** OpenMetrics text (see openmetrics.ts), turned into TSDB blocks before Prometheus starts. */
  backfillOpenMetrics?: string;
  extraArgs?: string[];
}

export interface RunningPrometheus {
  url: string;
  dataDir: string;
  logPath: string;
  /** Stops Prometheus, waits for it to exit and removes its files. Safe to call twice. */
  stop(): Promise<void>;
  /** Re-reads the configuration and the rule files (after a test rewrote one); fails if they are invalid. */
  reloadRules(): Promise<void>;
}

// Backfilled history is as old as the test wants; shorter retention would delete it on startup.
const RETENTION = '90d';
// 30 days (a Go duration: no `d` unit). Blocks align to multiples of it, so a month of history fits in two or three.
const BACKFILL_BLOCK = '720h';

export async function startPrometheus(options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const prometheus = requireTool('/usr/bin/prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'burnbook-prometheus-'));
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(configPath, stringify(prometheusConfig(options)));
  if (options.backfillOpenMetrics !== undefined) await backfill(options.backfillOpenMetrics, dir, dataDir);

  const server = await startServer({
    name: 'Prometheus',
    binary: prometheus,
    dir,
    readyPath: '/-/ready',
    args: (port) => [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${dataDir}`,
      `--storage.tsdb.retention.time=${RETENTION}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      ...(options.extraArgs ?? []),
    ],
  });

  return {
    url: server.url,
    dataDir,
    logPath: server.logPath,
    stop: server.stop,
    async reloadRules() {
      const response = await fetch(`${server.url}/-/reload`, {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) {
        throw new Error(`Prometheus rejected the reload (HTTP ${response.status}): ${await response.text()}`);
      }
    },
  };
}

function prometheusConfig(options: PrometheusOptions): Record<string, unknown> {
  const config: Record<string, unknown> = {
    global: {
      scrape_interval: options.scrapeInterval ?? '1s',
      evaluation_interval: options.evaluationInterval ?? '1s',
    },
    rule_files: (options.ruleFiles ?? []).map((file) => resolve(file)),
  };
  if (options.scrapeTargets?.length) {
    config.scrape_configs = [
      {
        job_name: 'test',
        // A fake exporter can then stand in for any job (`job="checkout"`) the SLO under test selects.
        honor_labels: true,
        static_configs: [{ targets: options.scrapeTargets }],
      },
    ];
  }
  if (options.alertmanagerUrl !== undefined) {
    const url = new URL(options.alertmanagerUrl);
    config.alerting = {
      alertmanagers: [
        {
          scheme: url.protocol.replace(':', ''),
          path_prefix: url.pathname,
          static_configs: [{ targets: [url.host] }],
        },
      ],
    };
  }
  return config;
}

async function backfill(openMetrics: string, dir: string, dataDir: string): Promise<void> {
  const promtool = requireTool('/usr/bin/promtool');
  const input = join(dir, 'backfill.om');
  await writeFile(input, openMetrics);
  try {
    await promisify(execFile)(
      promtool,
      // The default 2h blocks make promtool re-read the input once per block: minutes for 30 days of history.
      [
        'tsdb',
        'create-blocks-from',
        'openmetrics',
        '--quiet',
        `--max-block-duration=${BACKFILL_BLOCK}`,
        input,
        dataDir,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`promtool could not backfill ${input}:\n${stderr || stdout || String(error)}`);
  }
  await rm(input);
}
