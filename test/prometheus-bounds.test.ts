import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusClient, PrometheusError } from '../src/prometheus/client.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { testApp } from './support/app.ts';
import { until } from './support/wait.ts';

/**
 * Prometheus's answers are read with a cap, everywhere burnbook reads them: a fake Prometheus answers
 * what a broken proxy or a careless query would, an answer that never ends and 200,000 series to every
 * query. The client stops reading at 32 MiB, keeps the series with the highest values (10,000 for the
 * evaluator, 50 for evidence and runbook pages, 500 for charts) and says how many it left out.
 */

const SERIES = 200_000;
const { slos } = loadSpecs(['slos']);
const FIRING = readFileSync('test/fixtures/alertmanager/firing.json', 'utf8');

// Series i has the value i, so the kept ones are known: the highest.
const sample = (i: number) => `{"metric":{"__name__":"wide","i":"${i}"},"value":[1700000000,"${i}"]}`;
const series = (i: number) => `{"metric":{"__name__":"wide","i":"${i}"},"values":[[1700000000,"${i}"]]}`;
const answer = (type: string, item: (i: number) => string) =>
  `{"status":"success","data":{"resultType":"${type}","result":[${Array.from({ length: SERIES }, (_, i) => item(i)).join(',')}]}}`;

let prometheus: Server;
let base: string;
let wideVector: string;
let wideMatrix: string;
/** The range queries asked, decoded. */
const rangeQueries: string[] = [];

beforeAll(async () => {
  wideVector = answer('vector', sample);
  wideMatrix = answer('matrix', series);
  prometheus = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    if (request.url?.startsWith('/endless/')) {
      // Series after series, for as long as anyone reads.
      response.write('{"status":"success","data":{"resultType":"vector","result":[');
      const chunk = Array.from({ length: 1000 }, (_, i) => `${sample(i)},`).join('');
      const more = () => {
        while (response.write(chunk)) {}
      };
      response.on('drain', more);
      more();
      return;
    }
    if (!request.url?.includes('query_range')) {
      response.end(wideVector);
      return;
    }
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      rangeQueries.push(new URLSearchParams(body).get('query') ?? '');
      response.end(wideMatrix);
    });
  });
  await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
});

afterAll(async () => {
  prometheus.closeAllConnections();
  await new Promise((resolve) => prometheus.close(resolve));
});

describe('the client', () => {
  it('stops reading an answer that never ends at 32 MiB, long before its timeout', async () => {
    const client = createPrometheusClient({ url: `${base}/endless`, timeoutMs: 60_000 });
    const failure = await client.query('up').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PrometheusError);
    expect((failure as PrometheusError).message).toBe(
      `Prometheus at ${base}/endless/api/v1/query sent more than 32 MiB; burnbook stopped reading`,
    );
  });

  it('keeps the 10,000 series with the highest values, or fewer when asked, and counts the rest', async () => {
    const client = createPrometheusClient({ url: base, timeoutMs: 60_000 });
    const all = await client.query('wide');
    if (all.resultType !== 'vector') throw new Error('expected a vector');
    expect(all.result).toHaveLength(10_000);
    expect(all.omittedSeries).toBe(SERIES - 10_000);
    expect(all.result[0]?.value).toBe(SERIES - 1);
    expect(Math.min(...all.result.map((s) => s.value))).toBe(SERIES - 10_000);
    const few = await client.queryRange('wide', new Date(0), new Date(1000), 1, { maxSeries: 3 });
    expect(few.result.map((s) => s.metric.i)).toEqual(['199999', '199998', '199997']);
    expect(few.omittedSeries).toBe(SERIES - 3);
  });
});

describe('the server', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp({
      slos,
      externalUrl: 'http://127.0.0.1:8080',
      prometheusUrl: base,
      evaluationIntervalMs: 3_600_000,
      prometheusAccess: { timeoutMs: 60_000 },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("stores an alert's evidence as the 50 highest series of each query, and its page says how many more", async () => {
    const stored = await app.inject({
      method: 'POST',
      url: '/hooks/alertmanager',
      headers: { 'content-type': 'application/json' },
      payload: FIRING,
    });
    expect(stored.statusCode).toBe(200);
    const page = await until(
      'the evidence',
      async () => (await app.inject({ url: '/alerts/1' })).body,
      (html) => html.includes('more series left out'),
      30_000,
    );
    const evidence = page.slice(page.indexOf('id="evidence"'), page.indexOf('id="labels"'));
    const sections = evidence.split('<section class="evidence">').slice(1);
    expect(sections.length).toBeGreaterThan(0);
    for (const section of sections) {
      expect(section.match(/<tr><td><code>/g)).toHaveLength(50);
      expect(section).toContain(
        '199950 more series left out: burnbook keeps the 50 with the highest values.',
      );
      expect(section).toContain('{__name__&#x3D;&quot;wide&quot;, i&#x3D;&quot;199999&quot;}');
    }
  }, 60_000);

  it("shows a runbook page's first-look queries as the 50 highest series, and says how many more", async () => {
    // Each query's answer is 13 MB; the page waits 3 s for them, the brief cache has them on a reload.
    const blocks = async () => {
      const html = (await app.inject({ url: '/runbooks/checkout/availability-fast-burn' })).body;
      return [...html.matchAll(/<div class="live">([\s\S]*?)<\/li>/g)].map((m) => m[1] ?? '');
    };
    const live = await until(
      'live values',
      blocks,
      (b) => b.length > 0 && b.every((x) => x.includes('<tr>')),
      30_000,
    );
    expect(live.length).toBeGreaterThan(0);
    for (const block of live) {
      expect(block.match(/<tr><td><code>/g)).toHaveLength(50);
      expect(block).toContain('199950 more series left out');
    }
  }, 60_000);

  it('charts from at most 500 series of each range query, saying how many groups were left out', async () => {
    const before = rangeQueries.length;
    const response = await app.inject({ url: '/api/v1/slos/search/tenant-availability/history?range=6h' });
    expect(response.statusCode).toBe(200);
    const history = response.json() as { groupsOmitted: number; burnRates: Record<string, unknown> };
    expect(history).toMatchObject({ groupsOmitted: SERIES - 500 });
    // No rules' record comes back: one raw query per window after the shortest window's probe, not two per
    // window, and once the evaluator has found the SLO younger than the range, the period once more at the
    // chart's step. Besides those, the chart reads its alert periods (ALERTS) and its breakdown (requests and
    // errors by the first breakdown label) at most once each, unless a read of a moment before still serves.
    const asked = rangeQueries.slice(before);
    const periods = asked.filter((q) => /\bALERTS\{/.test(q));
    const breakdown = asked.filter((q) => q.startsWith('sum by (index)'));
    expect(periods.length).toBeLessThanOrEqual(1);
    expect(breakdown.length).toBeLessThanOrEqual(2);
    const windows = Object.keys(history.burnRates).length;
    expect(asked.length - periods.length - breakdown.length).toBeGreaterThanOrEqual(windows + 1);
    expect(asked.length - periods.length - breakdown.length).toBeLessThanOrEqual(windows + 2);
  }, 60_000);

  it('evaluates from the 10,000 highest series and says the rest were left out', async () => {
    const report = await until(
      'an evaluation',
      async () =>
        (await app.inject({ url: '/api/v1/slos' })).json() as {
          state: string;
          error: { message: string } | null;
        },
      (r) => r.state !== 'starting',
      30_000,
    );
    expect(report.state).toBe('partial');
    expect(report.error?.message).toContain('190000 series left out of the answer to');
  }, 60_000);
});
