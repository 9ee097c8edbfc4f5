/**
 * Starting a real server (Prometheus, Alertmanager) for a test: on a free loopback port, logging to a file,
 * ready before it is handed out, and killed when the test process ends even if a test forgot to stop it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
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

// An 'exit' listener may only do synchronous work; kill() is a synchronous syscall, which is all we need.
function track(child: ChildProcess): void {
  running.add(child);
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
      return await launch(options, await freePort());
    } catch (error) {
      // The port was free when we picked it, but another test process can bind it first.
      if (!(error instanceof PortTakenError) || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

async function launch(options: ServerOptions, port: number): Promise<RunningServer> {
  const { name, binary, dir } = options;
  const logPath = join(dir, `${name.toLowerCase()}.log`);
  const log = openSync(logPath, 'a');
  const logStart = statSync(logPath).size;
  // The log file, not a pipe: nothing has to drain it, and it is there to read when startup fails.
  const child = spawn(binary, options.args(port), { cwd: dir, stdio: ['ignore', log, log] });
  closeSync(log);
  track(child);

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
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (ended === undefined && Date.now() < deadline && !(await answers(`${url}${options.readyPath}`))) {
    await sleep(50);
  }

  if (ended !== undefined || Date.now() >= deadline) {
    const problem = ended ?? `was not ready within ${options.readyTimeoutMs ?? 30_000} ms`;
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
