/**
 * A real PostgreSQL for tests: a throwaway cluster from Debian's `postgresql` package, made with initdb and
 * started with pg_ctl on a free loopback port and a socket directory of its own, as the `postgres` user when
 * the tests run as root (PostgreSQL refuses to run as root). Trust authentication on 127.0.0.1 only. The
 * cluster dies with the test process even when a test forgot to stop it.
 */
import { execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.ts';
import { requireTool } from './tools.ts';

const run = promisify(execFile);

export interface RunningPostgres {
  port: number;
  /** The cluster's files; kept when startup fails. */
  dir: string;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** A new, empty database; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL as the superuser in `database` (default `postgres`) and returns the rows. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<R[]>;
  /** Stops the server (as a failover does: clients lose their connections) and keeps its files. */
  halt(): Promise<void>;
  /** Starts it again on the same port after halt(). */
  resume(): Promise<void>;
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** Debian installs PostgreSQL's server programs under /usr/lib/postgresql/<major>/bin; the newest wins. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  // Where none is installed, requireTool's error on the default names the package to install.
  return (
    majors.map((major) => join(root, major, 'bin')).find((bin) => existsSync(join(bin, 'initdb'))) ??
    join(root, '15', 'bin')
  );
}

/** The `postgres` system user's ids when running as root (PostgreSQL will not run as root); else none. */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all(
    ['-u', '-g'].map(async (flag) => Number((await run('id', [flag, 'postgres'])).stdout.trim())),
  );
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error('no `postgres` user to run PostgreSQL as');
  return { uid: uid as number, gid: gid as number };
}

let databases = 0;
const PORT_ATTEMPTS = 3;

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const initdb = requireTool(join(bin, 'initdb'));
  const pgCtl = requireTool(join(bin, 'pg_ctl'));
  const user = await postgresUser();
  const dir = await mkdtemp(join(tmpdir(), 'burnbook-postgres-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  const log = join(dir, 'postgres.log');
  await mkdir(sockets);
  if (user) for (const path of [dir, sockets]) chownSync(path, user.uid, user.gid);
  const asPostgres = (program: string, args: string[]) =>
    run(program, args, { cwd: dir, ...(user ?? {}), maxBuffer: 4 * 1024 * 1024 }).catch((error) => {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(
        `${program} ${args.join(' ')} failed; files kept in ${dir}:\n${stderr || stdout || error}`,
      );
    });

  await asPostgres(initdb, [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    // A throwaway cluster: no need to wait for initdb's files to reach the disk.
    '--no-sync',
  ]);

  let port = 0;
  let dismissWatchdog = () => {};
  const start = async () => {
    await asPostgres(pgCtl, [
      'start',
      '-D',
      data,
      '-l',
      log,
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c shared_buffers=32MB -c max_connections=200`,
    ]);
    dismissWatchdog = guard(postmasterPid(data));
  };
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      const taken = existsSync(log) && readFileSync(log, 'utf8').includes('could not bind');
      if (!taken || attempt === PORT_ATTEMPTS) throw error;
    }
  }

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const query = async <R extends pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
    database?: string,
  ) => {
    const client = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  const stopServer = async () => {
    if (!existsSync(join(data, 'postmaster.pid'))) return;
    await asPostgres(pgCtl, ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']);
    // The PID is free again, and may soon be another process's.
    dismissWatchdog();
  };
  let stopped = false;
  return {
    port,
    dir,
    url,
    query,
    async createDatabase(name = `burnbook_${process.pid}_${++databases}`) {
      await query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    halt: stopServer,
    resume: start,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function postmasterPid(data: string): number {
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster PID in ${data}/postmaster.pid`);
  return pid;
}

/**
 * pg_ctl leaves the server running on its own, so a test process that dies would leave it behind: a
 * watchdog shell holds the read end of a pipe only this process writes to, and when the pipe closes
 * (however this process ended) asks the server for an immediate shutdown (SIGQUIT). The returned function
 * dismisses the watchdog once the server has stopped.
 */
function guard(pid: number): () => void {
  const watchdog = spawn('/bin/sh', ['-c', 'read _; kill -QUIT "$0" 2>/dev/null', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  return () => watchdog.kill('SIGKILL');
}
