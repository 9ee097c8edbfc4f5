/**
 * Records real Alertmanager webhook bodies as the fixtures under test/fixtures/alertmanager/:
 * starts Alertmanager with a webhook receiver pointing at a local HTTP server, adds two firing
 * alerts with amtool, saves the firing body, resolves them with amtool and saves the resolved body.
 *
 * Re-record (needs the Debian package `prometheus-alertmanager`, which ships `amtool`):
 *
 *   node --import tsx test/support/record-alertmanager-payload.ts
 *
 * Everything listens on 127.0.0.1 only; Alertmanager and its files are gone when it ends.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { startAlertmanager } from './alertmanager.ts';
import { requireTool } from './tools.ts';

const FIXTURES = new URL('../fixtures/alertmanager/', import.meta.url);
const TIMEOUT_MS = 30_000;

type Body = { status?: unknown; alerts?: unknown[] };

const bodies: Body[] = [];
let onBody: (() => void) | undefined;

const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body);
    res.writeHead(200).end();
    onBody?.();
  });
});

async function nextBody(matches: (body: Body) => boolean, what: string): Promise<Body> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const found = bodies.find(matches);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} webhook body within ${TIMEOUT_MS} ms`);
    await new Promise<void>((resolve) => {
      onBody = resolve;
      setTimeout(resolve, 500);
    });
  }
}

const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

async function main(): Promise<void> {
  const amtoolBinary = requireTool('amtool');
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookPort = (receiver.address() as AddressInfo).port;

  // The dot in the receiver name shows up regex-escaped (`burnbook\.hooks`) in the body's `receiver`.
  const alertmanager = await startAlertmanager({
    configYaml: `route:
  receiver: burnbook.hooks
  group_by: [slo_service, slo]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: burnbook.hooks
    webhook_configs:
      - url: http://127.0.0.1:${hookPort}/hooks/alertmanager
        send_resolved: true
`,
    // A fixed externalURL keeps this machine's host name and a random port out of the fixtures.
    extraArgs: ['--web.external-url=http://127.0.0.1:9093/'],
  });
  try {
    const startsAt = rfc3339(Date.now() - 120_000);
    const amtool = (tenant: string, ...extra: string[]) =>
      promisify(execFile)(amtoolBinary, [
        'alert',
        'add',
        `--alertmanager.url=${alertmanager.url}`,
        `--start=${startsAt}`,
        '--generator-url=http://127.0.0.1:9090/graph?g0.expr=slo%3Asli_error%3Aratio_rate1h&g0.tab=1',
        '--annotation=summary=checkout availability is burning its error budget 14.4x too fast',
        '--annotation=description=1h and 5m error ratios are above 0.072 (burn factor 14.4)',
        '--annotation=runbook_url=http://127.0.0.1:8080/runbooks/checkout/availability-fast-burn',
        ...extra,
        'alertname=availability-fast-burn',
        'severity=page',
        'slo_service=checkout',
        'slo=availability',
        'slo_tier=fast',
        'team=payments',
        `tenant=${tenant}`,
      ]);

    await amtool('acme');
    await amtool('globex');
    const firing = await nextBody((b) => b.status === 'firing' && b.alerts?.length === 2, 'firing');
    await writeFile(new URL('firing.json', FIXTURES), `${JSON.stringify(firing, null, 2)}\n`);

    const endsAt = rfc3339(Date.now() - 1_000);
    await amtool('acme', `--end=${endsAt}`);
    await amtool('globex', `--end=${endsAt}`);
    const resolved = await nextBody((b) => b.status === 'resolved' && b.alerts?.length === 2, 'resolved');
    await writeFile(new URL('resolved.json', FIXTURES), `${JSON.stringify(resolved, null, 2)}\n`);
    console.log(`recorded firing.json and resolved.json in ${FIXTURES.pathname}`);
  } finally {
    await alertmanager.stop();
    receiver.close();
  }
}

await main();
