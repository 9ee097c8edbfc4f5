/** Servers the HTTP benchmarks start as child processes, and wrk to load them. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../test/support/ports.ts';
import { requireTool } from '../test/support/tools.ts';
import { onCleanup, sleep } from './support.ts';

export interface Child {
  url: string;
  pid: number;
  /** SIGTERM to this PID, SIGKILL after 10 s; resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `node <args>` on a free port (`{port}` in args is replaced) in the repository root, so relative
 * paths in the example specs resolve, and waits until `readyPath` answers 200. Output goes to `logDir`.
 */
export async function startNode(options: {
  name: string;
  args: string[];
  readyPath: string;
  logDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<Child> {
  const port = await freePort();
  const log = openSync(join(options.logDir, `${options.name}.log`), 'a');
  const child = spawn(
    process.execPath,
    options.args.map((a) => a.replaceAll('{port}', String(port))),
    { cwd: resolve('.'), stdio: ['ignore', log, log], env: { ...process.env, ...options.env } },
  );
  const stop = onCleanup(() => terminate(child));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `${options.name} exited with ${child.exitCode}; see ${options.logDir}/${options.name}.log`,
      );
    }
    try {
      const response = await fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} was not ready within 60 s`);
    }
    await sleep(100);
  }
  return { url, pid: child.pid as number, stop };
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolveExit();
    });
    child.kill('SIGTERM');
  });
}

/** Resident memory of a process, from /proc (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : Number.NaN;
}

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Socket errors, timeouts and answers other than 2xx/3xx. */
  errors: number;
  errorDetail: string;
}

const UNITS: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60 };

function seconds(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  return match ? Number(match[1]) * (UNITS[match[2] as string] as number) : Number.NaN;
}

/**
 * wrk against one URL; `script` is a Lua file for POST bodies. Latencies in seconds. wrk, not autocannon:
 * it is C and leaves more of the two cores to the server under test.
 */
export async function wrk(
  url: string,
  options: { connections: number; seconds: number; script?: string; timeoutSeconds?: number },
): Promise<WrkResult> {
  const binary = requireTool('wrk');
  const args = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    `--timeout=${options.timeoutSeconds ?? 30}s`,
    '--latency',
    ...(options.script ? ['-s', options.script] : []),
    url,
  ];
  const { stdout } = await promisify(execFile)(binary, args, { maxBuffer: 16 * 1024 * 1024 });
  const percentile = (p: string) => seconds(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? Number.NaN);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requests,
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN),
    p50: percentile('50'),
    p90: percentile('90'),
    p99: percentile('99'),
    max: seconds(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(stdout)?.[1]),
    errors: socketErrors + non2xx,
    errorDetail: [socket?.[0], non2xx ? `non-2xx ${non2xx}` : ''].filter(Boolean).join('; '),
  };
}
