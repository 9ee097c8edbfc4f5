/** `burnbook serve` as a child process, the way it runs in production: for tests that kill it or need a port. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type RunningServer, startServer } from './process.ts';

const BIN = resolve('bin/burnbook.js');

export interface BurnbookOptions {
  /** Spec files or directories; relative paths are taken from the current directory. */
  specs?: string[];
  /** Where the alert store lives; survives stop(), so a restart can reopen it. */
  dataDir: string;
  /** More flags: `--webhook-bearer-token`, `--prometheus-url`, ... */
  args?: string[];
  /** A fixed port, e.g. one already written into Alertmanager's config. */
  port?: number;
  /** Answers 200 once the server serves; default /healthz, which fails while the alert store cannot write. */
  readyPath?: string;
  /** See ServerOptions.user. */
  user?: { uid: number; gid: number };
}

export async function startBurnbook(options: BurnbookOptions): Promise<RunningServer> {
  const dir = await mkdtemp(join(tmpdir(), 'burnbook-serve-'));
  return startServer({
    name: 'burnbook',
    binary: process.execPath,
    dir,
    readyPath: options.readyPath ?? '/healthz',
    ...(options.user ? { user: options.user } : {}),
    // Specs name their runbook files relative to the repository, as they do in production.
    cwd: process.cwd(),
    ...(options.port === undefined ? {} : { port: options.port }),
    args: (port) => [
      BIN,
      'serve',
      ...(options.specs ?? ['slos']).map((spec) => resolve(spec)),
      '--runbooks',
      resolve('runbooks'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data-dir',
      options.dataDir,
      ...(options.args ?? []),
    ],
  });
}
