/** A real Prometheus for tests: fresh config and data dir, optional backfilled history, loopback only. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { z } from 'zod';
import { startServer } from './process.ts';
import { requireTool } from './tools.ts';

export interface PrometheusOptions {
  /** Rule files to load; relative paths are taken from the current directory. */
  ruleFiles?: string[];
  /** `host:port` targets, scraped as job `test`. Their own `job` and `instance` labels are kept. */
  scrapeTargets?: string[];
  /** Default `1s`. */
  scrapeInterval?: string;
  /** Default `1s`, so rules and alerts react within a test's patience. */
  evaluationInterval?: string;
  /** Where firing alerts go, e.g. the url of startAlertmanager(); every one of them, for an HA cluster. */
  alertmanagerUrl?: string | string[];
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

// Prometheus refuses a repeated flag, so these give way to the same flag in extraArgs.
const DEFAULT_FLAGS: Record<string, string> = {
  // Backfilled history is as old as the test wants; shorter retention would delete it on startup.
  '--storage.tsdb.retention.time': '90d',
  // The default (1m) holds back an alert that fired before Alertmanager was discovered for a whole minute.
  '--rules.alert.resend-delay': '1s',
};
// 30 days (a Go duration: no `d` unit). Blocks align to multiples of it, so a month of history fits in two or three.
const BACKFILL_BLOCK = '720h';

/**
 * Starts Prometheus and returns once it is ready and, when given scrape targets or an Alertmanager, has
 * picked them up. Call stop() in afterAll; a forgotten one is killed when the test process ends.
 */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const prometheus = requireTool('/usr/bin/prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'burnbook-prometheus-'));
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(configPath, stringify(prometheusConfig(options)));
  if (options.backfillOpenMetrics !== undefined) await backfill(options.backfillOpenMetrics, dir, dataDir);

  const extraArgs = options.extraArgs ?? [];
  const defaults = Object.entries(DEFAULT_FLAGS)
    .filter(([flag]) => !extraArgs.some((arg) => arg === flag || arg.startsWith(`${flag}=`)))
    .map(([flag, value]) => `${flag}=${value}`);
  const server = await startServer({
    name: 'Prometheus',
    binary: prometheus,
    dir,
    readyPath: '/-/ready',
    args: (port) => [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      ...defaults,
      ...extraArgs,
    ],
  });
  try {
    await waitForDiscovery(server.url, options);
  } catch (error) {
    await server.stop();
    throw error;
  }

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

const alertmanagerUrls = (options: PrometheusOptions) =>
  options.alertmanagerUrl === undefined ? [] : [options.alertmanagerUrl].flat();

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
  const alertmanagers = alertmanagerUrls(options);
  if (alertmanagers.length > 0) {
    const urls = alertmanagers.map((url) => new URL(url));
    const [first] = urls as [URL];
    config.alerting = {
      alertmanagers: [
        {
          scheme: first.protocol.replace(':', ''),
          path_prefix: first.pathname,
          static_configs: [{ targets: urls.map((url) => url.host) }],
        },
      ],
    };
  }
  return config;
}

const DISCOVERY_TIMEOUT_MS = 20_000;
const targetsResponse = z.object({ data: z.object({ activeTargets: z.array(z.unknown()) }) });
const alertmanagersResponse = z.object({ data: z.object({ activeAlertmanagers: z.array(z.unknown()) }) });

/**
 * Prometheus passes discovered targets and Alertmanagers on at a fixed 5 s interval, so right after
 * /-/ready nothing is scraped and alerts go nowhere. Waiting here spares every test its own wait.
 */
async function waitForDiscovery(url: string, options: PrometheusOptions): Promise<void> {
  const targets = options.scrapeTargets?.length ?? 0;
  const alertmanagers = alertmanagerUrls(options).length;
  const deadline = Date.now() + DISCOVERY_TIMEOUT_MS;
  for (;;) {
    const [activeTargets, activeAlertmanagers] = await Promise.all([
      targets ? getJson(`${url}/api/v1/targets?state=active`, targetsResponse) : undefined,
      alertmanagers ? getJson(`${url}/api/v1/alertmanagers`, alertmanagersResponse) : undefined,
    ]);
    if (
      (activeTargets?.data.activeTargets.length ?? 0) >= targets &&
      (activeAlertmanagers?.data.activeAlertmanagers.length ?? 0) >= alertmanagers
    ) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Prometheus at ${url} did not pick up ${targets} scrape target(s) and ${alertmanagers} ` +
          `Alertmanager(s) within ${DISCOVERY_TIMEOUT_MS} ms`,
      );
    }
    await sleep(100);
  }
}

async function getJson<S extends z.ZodType>(url: string, schema: S): Promise<z.output<S>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return schema.parse(await response.json());
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
