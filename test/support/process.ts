/**
 * Starting a real server (Prometheus, Alertmanager) for a test: on a free loopback port, logging to a file,
 * ready before it is handed out, and killed when the test process ends even if a test forgot to stop it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.ts';

export interface ServerOptions {
  /** For messages: `Prometheus`. Also names the log file. */
  name: string;
  /** Absolute path, from requireTool. */
  binary: string;
  /** A fresh directory the server owns; removed by stop(), kept when startup fails. */
  dir: string;
  args: (port: number) => string[];
  /** Answers 200 once the server can serve. */
  readyPath: string;
  readyTimeoutMs?: number;
  /** Working directory; default `dir`. */
  cwd?: string;
  /** A port chosen beforehand (e.g. already written into another server's config) instead of a free one. */
  port?: number;
  /** Run as this user and group (the caller must be root), e.g. to meet permissions root ignores. */
  user?: { uid: number; gid: number };
}

export interface RunningServer {
  url: string;
  port: number;
  pid: number;
  logPath: string;
  /** Terminates the server (SIGTERM, then SIGKILL after 10 s), waits for it to exit, removes its dir. */
  stop(): Promise<void>;
}

const PORT_ATTEMPTS = 3;
const STOP_GRACE_MS = 10_000;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Makes sure a server dies with this process. The 'exit' hook covers a normal exit (it may only do
 * synchronous work, and kill() is a synchronous syscall). Test runners usually end a worker with a signal
 * or by terminating its thread, where no JavaScript runs: for those, a watchdog shell holds the read end
 * of a pipe only this process writes to, and kills the server when the pipe closes.
 */
function guard(child: ChildProcess, pid: number): void {
  running.add(child);
  const watchdog = spawn('/bin/sh', ['-c', 'read _; kill -KILL "$0" 2>/dev/null', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  // Once the server is gone its PID may be reused; the watchdog must not outlive it.
  child.once('exit', () => watchdog.kill('SIGKILL'));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const leftover of running) leftover.kill('SIGKILL');
  });
}

class PortTakenError extends Error {}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(options, options.port ?? (await freePort()));
    } catch (error) {
      // The port was free when we picked it, but another test process can bind it first.
      if (!(error instanceof PortTakenError) || attempt === PORT_ATTEMPTS || options.port) throw error;
    }
  }
}

async function launch(options: ServerOptions, port: number): Promise<RunningServer> {
  const { name, binary, dir } = options;
  const logPath = join(dir, `${name.toLowerCase()}.log`);
  const log = openSync(logPath, 'a');
  const logStart = statSync(logPath).size;
  // The log file, not a pipe: nothing has to drain it, and it is there to read when startup fails.
  const child = spawn(binary, options.args(port), {
    cwd: options.cwd ?? dir,
    stdio: ['ignore', log, log],
    ...options.user,
  });
  closeSync(log);
  if (child.pid !== undefined) guard(child, child.pid);

  let ended: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      running.delete(child);
      resolve();
    });
    child.once('error', (error) => {
      ended = `could not be started: ${error.message}`;
      running.delete(child);
      resolve();
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;
  let ready = false;
  while (!ready && ended === undefined && Date.now() < deadline) {
    ready = await answers(`${url}${options.readyPath}`);
    if (!ready) await sleep(50);
  }

  if (!ready || ended !== undefined) {
    const problem = ended ?? `was not ready within ${readyTimeoutMs} ms`;
    if (ended === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    const tail = logTail(logPath, logStart);
    if (tail.includes('address already in use')) throw new PortTakenError(`port ${port} was taken`);
    throw new Error(
      `${name} (${binary} on port ${port}) ${problem}. Files kept in ${dir}.\n` +
        `Last lines of ${logPath}:\n${tail || '(empty)'}`,
    );
  }

  return {
    url,
    port,
    pid: child.pid as number,
    logPath,
    async stop() {
      if (ended === undefined) {
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(force);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function logTail(path: string, from: number, lines = 40): string {
  return readFileSync(path).subarray(from).toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
