import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBurnbook } from './support/burnbook.ts';
import type { RunningServer } from './support/process.ts';
import { until } from './support/wait.ts';

/**
 * `serve` loads its specs through generate's cache of spec models (at 10,000 SLOs that takes startup from
 * about 4.7 s to 1.2 s): whatever the cache holds — nothing, the models of the run before, damaged entries —
 * the server serves what a cold load gives, and a reload reads the file that changed.
 */

const spec = (service: string, objective: number) => `apiVersion: burnbook/v1
service: ${service}
slos:
  - name: availability
    objective: ${objective}
    sli: {ratio: {errors: '${service}_requests_total{code=~"5.."}', total: ${service}_requests_total}}
    breakdown: [route]
  - name: latency
    objective: 99
    sli: {latency: {histogram: '${service}_request_seconds', threshold: 0.3}}
    alerting: {tiers: [fast, slow]}
`;

const specs = mkdtempSync(join(tmpdir(), 'burnbook-serve-cache-specs-'));
writeFileSync(join(specs, 'checkout.yaml'), spec('checkout', 99.5));
writeFileSync(join(specs, 'search.yaml'), spec('search', 99.9));
const cacheDir = mkdtempSync(join(tmpdir(), 'burnbook-serve-cache-'));
const running: RunningServer[] = [];

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
});

async function start(): Promise<RunningServer> {
  const previous = process.env.BURNBOOK_CACHE_DIR;
  process.env.BURNBOOK_CACHE_DIR = cacheDir;
  try {
    const server = await startBurnbook({
      specs: [specs],
      dataDir: mkdtempSync(join(tmpdir(), 'burnbook-data-')),
    });
    running.push(server);
    return server;
  } finally {
    if (previous === undefined) delete process.env.BURNBOOK_CACHE_DIR;
    else process.env.BURNBOOK_CACHE_DIR = previous;
  }
}

/** What the server makes of the specs: the SLOs' JSON and the pages built from them. */
async function served(server: RunningServer) {
  const get = async (path: string) => (await fetch(`${server.url}${path}`)).text();
  const api = JSON.parse(await get('/api/v1/slos')) as { slos: unknown[] };
  return {
    slos: api.slos,
    pages: await Promise.all(
      ['/slos/checkout/availability', '/slos/search/latency', '/runbooks/search/availability-slow-burn'].map(
        get,
      ),
    ),
  };
}

function specEntries(): string[] {
  return readdirSync(join(cacheDir, 'generate')).filter((name) => name.startsWith('spec-'));
}

describe('serve with the spec cache', () => {
  it('serves the same SLOs cold, from the cache and from a damaged cache, and reloads what changed', async () => {
    const cold = await start();
    const expected = await served(cold);
    await cold.stop();
    expect(specEntries()).toHaveLength(2);

    const warm = await start();
    expect(await served(warm)).toEqual(expected);
    await warm.stop();

    for (const name of specEntries()) {
      const path = join(cacheDir, 'generate', name);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/99\.9/g, '42'));
    }
    const damaged = await start();
    expect(await served(damaged)).toEqual(expected);

    writeFileSync(join(specs, 'search.yaml'), spec('search', 99.95));
    process.kill(damaged.pid, 'SIGHUP');
    // The reload swaps the app on the same port: a request in that moment is refused, then answered.
    const objectives = await until(
      'the reload to serve the edited objective',
      async () => {
        const response = await fetch(`${damaged.url}/api/v1/slos`).catch(() => undefined);
        const body = (await response?.json()) as { slos: Array<{ objective: number }> } | undefined;
        return body?.slos.map((s) => s.objective) ?? [];
      },
      (o) => o.includes(99.95),
    );
    expect(objectives.sort()).toEqual([99, 99, 99.5, 99.95]);
  }, 120_000);
});
