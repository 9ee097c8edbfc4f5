/** A real Alertmanager for tests: single node (no clustering), fresh storage, loopback only. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './process.ts';
import { requireTool } from './tools.ts';

export interface AlertmanagerOptions {
  /** The whole alertmanager.yml. */
  configYaml: string;
  extraArgs?: string[];
}

export interface RunningAlertmanager {
  url: string;
  logPath: string;
  /** Stops Alertmanager, waits for it to exit and removes its files. Safe to call twice. */
  stop(): Promise<void>;
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
      // Clustering would bind a second port and wait for gossip before reporting ready.
      '--cluster.listen-address=',
      ...(options.extraArgs ?? []),
    ],
  });
  return { url: server.url, logPath: server.logPath, stop: server.stop };
}
