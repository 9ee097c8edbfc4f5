/**
 * A real Alertmanager for tests: fresh storage, loopback only; a single node unless told its cluster peers
 * (an HA pair, deduplicating notifications by gossip).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './process.ts';
import { requireTool } from './tools.ts';

export interface AlertmanagerOptions {
  /** The whole alertmanager.yml. */
  configYaml: string;
  extraArgs?: string[];
  /** Joins a cluster: gossips on `listenPort` with the peers at `peers` (127.0.0.1 ports). */
  cluster?: { listenPort: number; peers: number[] };
}

export interface RunningAlertmanager {
  url: string;
  logPath: string;
  /** Stops Alertmanager, waits for it to exit and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A top-level route for tests: alerts grouped by SLO as the generated snippet expects, notified within a
 * second of any change, into `routes`; what no route takes goes to the receiver `null` (declare it).
 */
export function quickRoute(routes: unknown[]) {
  return {
    receiver: 'null',
    group_by: ['slo_service', 'slo'],
    group_wait: '1s',
    group_interval: '1s',
    repeat_interval: '1h',
    routes,
  };
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const alertmanager = requireTool('/usr/bin/prometheus-alertmanager');
  const dir = await mkdtemp(join(tmpdir(), 'burnbook-alertmanager-'));
  const configPath = join(dir, 'alertmanager.yml');
  const storagePath = join(dir, 'data');
  await writeFile(configPath, options.configYaml);
  await mkdir(storagePath);

  const server = await startServer({
    name: 'Alertmanager',
    binary: alertmanager,
    dir,
    readyPath: '/-/ready',
    args: (port) => [
      `--config.file=${configPath}`,
      `--storage.path=${storagePath}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...clusterArgs(options.cluster),
      ...(options.extraArgs ?? []),
    ],
  });
  return { url: server.url, logPath: server.logPath, stop: server.stop };
}

// Gossip fast enough for a test: the cluster settles in seconds (by default a minute passes before it
// notifies at all) and a peer takes over within 2 s of another failing to notify (15 s by default).
function clusterArgs(cluster: AlertmanagerOptions['cluster']): string[] {
  // A single node: clustering would bind a second port and wait for gossip before notifying.
  if (!cluster) return ['--cluster.listen-address='];
  return [
    `--cluster.listen-address=127.0.0.1:${cluster.listenPort}`,
    ...cluster.peers.map((port) => `--cluster.peer=127.0.0.1:${port}`),
    '--cluster.gossip-interval=100ms',
    '--cluster.pushpull-interval=1s',
    '--cluster.settle-timeout=5s',
    '--cluster.peer-timeout=2s',
    '--cluster.reconnect-interval=1s',
  ];
}
