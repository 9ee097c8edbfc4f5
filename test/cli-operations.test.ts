import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { burnbook } from './support/cli.ts';
import { freePort } from './support/ports.ts';
import { exampleProject } from './support/scratch.ts';
import { until } from './support/wait.ts';

/** The operational edges of the CLI: URL flags, a port it cannot have, failures logged once, reloads. */

const BIN = resolve('bin/burnbook.js');
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

/** `burnbook serve` in `cwd`, its output collected as it comes. */
function serve(args: string[], cwd: string) {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
  });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

describe('URL flags are checked when the command line is read', () => {
  const cases: Array<[string, string[]]> = [
    ['--external-url', ['generate', 'slos/', '--out', 'out/', '--external-url', 'burnbook.example.com']],
    ['--grafana-url', ['generate', 'slos/', '--out', 'out/', '--grafana-url', 'grafana:3000']],
    ['--prometheus-url', ['status', 'slos/', '--prometheus-url', 'localhost:9090']],
    ['--alertmanager-url', ['serve', 'slos/', '--alertmanager-url', 'alertmanager.internal:9093']],
    ['--prometheus-url', ['postmortem', '1', 'slos/', '--prometheus-url', 'prometheus:9090']],
    ['--alertmanager-url', ['postmortem', '1', 'slos/', '--alertmanager-url', 'alertmanager:9093']],
    ['--external-url', ['postmortem', '1', 'slos/', '--external-url', 'burnbook.example.com']],
  ];
  for (const [flag, args] of cases) {
    it(`${args[0]} ${flag} without a scheme: exit 2, the flag named, nothing written`, () => {
      const dir = exampleProject('url-flag');
      const run = burnbook(args, {}, dir);
      expect(run.code, run.all).toBe(2);
      expect(run.stderr).toContain(`option '${flag} <url>' argument`);
      expect(run.stderr).toMatch(/expected an (absolute|http:\/\/ or https:\/\/) .*URL/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(readdirSync(dir).sort()).toEqual(['runbooks', 'slos']);
    });
  }

  it('--store is no HTTP URL: a postgres:// URL passes the check and reaches the store, which says what is wrong', () => {
    const dir = exampleProject('store-url');
    const run = burnbook(
      ['postmortem', '1', 'slos/', '--store', 'postgres://burnbook@127.0.0.1:1/burnbook'],
      {},
      dir,
    );
    expect(run.stderr).not.toContain('is invalid');
    expect(run.code, run.all).toBe(3);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('the same check applies to a URL from the environment', () => {
    const run = burnbook(['generate', 'slos/', '--out', 'out/'], { BURNBOOK_GRAFANA_URL: 'grafana:3000' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("from env 'BURNBOOK_GRAFANA_URL' is invalid");
  });

  it('generate without --external-url says which base URL the alerts link to', () => {
    const dir = exampleProject('default-url');
    const run = burnbook(['generate', 'slos/', '--out', 'out/'], {}, dir);
    expect(run.code, run.all).toBe(0);
    expect(run.stderr).toContain('Alerts link to runbooks under http://127.0.0.1:8080, the default');
    const withUrl = burnbook(
      ['generate', 'slos/', '--out', 'out/', '--external-url', 'https://bb.example'],
      {},
      dir,
    );
    expect(withUrl.stderr).not.toContain('the default');
  });
});

describe('serve', () => {
  it('exits 3, closing its store, when its port is taken; 2 for a port that is no port', async () => {
    const dir = exampleProject('busy-port');
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((done) => blocker.listen(port, '127.0.0.1', done));
    try {
      const busy = serve(['slos/', '--port', String(port), '--data-dir', 'data'], dir);
      expect(await busy.exited, busy.output()).toBe(3);
      expect(busy.output()).toContain(`Cannot listen on 127.0.0.1:${port}`);
      expect(busy.output()).toContain('EADDRINUSE');
    } finally {
      blocker.close();
    }
    const bad = serve(['slos/', '--port', '99999', '--data-dir', 'data'], dir);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('--port "99999" is not a port number');
  });

  it('logs a failing evaluation once, not once per cycle', async () => {
    const dir = exampleProject('eval-log');
    const port = await freePort();
    const server = serve(
      [
        'slos/',
        '--port',
        String(port),
        '--data-dir',
        'data',
        '--prometheus-url',
        'http://127.0.0.1:1',
        '--evaluation-interval',
        '100ms',
      ],
      dir,
    );
    await until('the server to start', server.output, (o) => o.includes('burnbook serving'), 20_000);
    // Each evaluation fails at once (nothing listens on port 1): in two seconds, many cycles.
    await new Promise((done) => setTimeout(done, 2_000));
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const failed = Number(/burnbook_evaluations_total\{result="failed"\} (\d+)/.exec(metrics)?.[1]);
    expect(failed).toBeGreaterThan(5);
    expect(server.output().match(/evaluation failed: Prometheus at http:\/\/127\.0\.0\.1:1/g)).toHaveLength(
      1,
    );
  });

  it('reloads specs when a file changes and on SIGHUP; a broken spec is refused and the old SLOs stay', async () => {
    const dir = exampleProject('reload');
    const port = await freePort();
    const server = serve(['slos/', '--port', String(port), '--data-dir', 'data'], dir);
    await until('the server to start', server.output, (o) => o.includes('burnbook serving'), 20_000);
    // The moment between two apps refuses connections: that reads as nothing yet.
    const page = () =>
      fetch(`http://127.0.0.1:${port}/`)
        .then((r) => r.text())
        .catch(() => '');
    const spec = join(dir, 'slos', 'checkout.yaml');
    const original = readFileSync(spec, 'utf8');

    writeFileSync(spec, original.replace('name: latency', 'name: response-time'));
    await until('the renamed SLO on /', page, (html) => html.includes('response-time'), 20_000);
    expect(server.output()).toMatch(/reloaded \(slos\/checkout\.yaml changed\): 5 SLOs/);

    writeFileSync(spec, `${original}\nbroken: [\n`);
    await until('the refusal', server.output, (o) => o.includes('refused'), 20_000);
    expect(server.output()).toMatch(/reload \(.*\) refused, still serving the SLOs loaded before: 1 error/);
    expect(await page()).toContain('response-time');

    writeFileSync(spec, original);
    await until('the old name back', page, (html) => html.includes('checkout&#x2F;latency"'), 20_000);
    await until('that reload to be logged', server.output, (o) => o.split('reloaded').length === 3, 20_000);
    server.child.kill('SIGHUP');
    await until('the SIGHUP reload', server.output, (o) => /reloaded \(SIGHUP\): 5 SLOs/.test(o), 20_000);
    expect(await page()).toContain('checkout&#x2F;latency"');
  });
});
