import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPrometheusClient,
  type InstantSample,
  type PrometheusClient,
  PrometheusError,
  type QueryResult,
} from '../src/prometheus/client.ts';
import { type CounterSeries, countersToOpenMetrics } from './support/openmetrics.ts';
import { type RunningPrometheus, startPrometheus } from './support/prometheus.ts';

const STEP_SECONDS = 60;
const HOUR = 3_600_000;
// Whole minutes, so every sample sits on the step grid the expectations below walk.
const END = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const START = END - 72 * HOUR;
const INCIDENT_START = END - 6 * HOUR;

// 10 successful requests a second throughout; errors at 0.05/s, then 2/s for the last six hours.
const successes: CounterSeries = {
  name: 'http_requests_total',
  labels: { job: 'checkout', code: '200' },
  increment: () => 10 * STEP_SECONDS,
};
const errors: CounterSeries = {
  name: 'http_requests_total',
  labels: { job: 'checkout', code: '500' },
  increment: (t) => (t > INCIDENT_START ? 2 : 0.05) * STEP_SECONDS,
};

/** What rate(x[window]) must be at `at`: the increments of the samples in (at - window, at], per second. */
function expectedRate(series: CounterSeries, at: number, windowMs: number): number {
  let sum = 0;
  for (let t = at - windowMs + STEP_SECONDS * 1000; t <= at; t += STEP_SECONDS * 1000)
    sum += series.increment(t);
  return sum / (windowMs / 1000);
}

const RULES = `
groups:
  - name: client-test
    rules:
      - record: test:one
        expr: vector(1)
      - alert: AlwaysFiring
        expr: vector(1) > 0
        labels: { severity: ticket }
        annotations: { summary: fires on the first evaluation }
`;

let prometheus: RunningPrometheus;
let client: PrometheusClient;
let rulesDir: string;

beforeAll(async () => {
  rulesDir = await mkdtemp(join(tmpdir(), 'burnbook-client-test-'));
  const ruleFile = join(rulesDir, 'rules.yaml');
  await writeFile(ruleFile, RULES);
  prometheus = await startPrometheus({
    ruleFiles: [ruleFile],
    backfillOpenMetrics: countersToOpenMetrics([successes, errors], {
      start: new Date(START),
      end: new Date(END),
      stepSeconds: STEP_SECONDS,
    }),
  });
  client = createPrometheusClient({ url: prometheus.url });
});

afterAll(async () => {
  await prometheus?.stop();
  await rm(rulesDir, { recursive: true, force: true });
});

describe('against a real Prometheus', () => {
  it('reads back the backfilled counter exactly', async () => {
    const result = await client.query('http_requests_total{code="500"}', new Date(END));
    let total = 0;
    for (let t = START + STEP_SECONDS * 1000; t <= END; t += STEP_SECONDS * 1000)
      total += errors.increment(t);

    expect(vectorOf(result)).toEqual([
      {
        metric: { __name__: 'http_requests_total', job: 'checkout', code: '500' },
        timestampMs: END,
        value: total,
      },
    ]);
    expect(result.warnings).toEqual([]);
  });

  it.each([
    ['during the incident', END],
    ['before it', INCIDENT_START - 24 * HOUR],
  ])('returns the error ratio the backfill implies %s', async (_, at) => {
    const result = await client.query(
      'sum(rate(http_requests_total{code="500"}[1h])) / sum(rate(http_requests_total[1h]))',
      new Date(at),
    );
    const errorRate = expectedRate(errors, at, HOUR);
    const expected = errorRate / (errorRate + expectedRate(successes, at, HOUR));

    const [sample, ...others] = vectorOf(result);
    expect(others).toEqual([]);
    expect(sample?.value).toBeCloseTo(expected, 12);
  });

  it('returns one point per step from query_range', async () => {
    const start = new Date(END - HOUR);
    const result = await client.queryRange('sum(rate(http_requests_total[5m]))', start, new Date(END), 300);

    expect(result.resultType).toBe('matrix');
    expect(result.result).toHaveLength(1);
    const values = result.result[0]?.values ?? [];
    expect(values.map((p) => p.timestampMs)).toEqual(
      Array.from({ length: 13 }, (_, i) => END - HOUR + i * 300_000),
    );
    for (const point of values) expect(point.value).toBeCloseTo(12, 12);
  });

  it('parses NaN and infinities', async () => {
    const scalar = await client.query('1/0');
    expect(scalar).toMatchObject({ resultType: 'scalar', result: { value: Number.POSITIVE_INFINITY } });
    expect(await client.query('-1/0')).toMatchObject({ result: { value: Number.NEGATIVE_INFINITY } });
    expect(vectorOf(await client.query('vector(0/0)'))[0]?.value).toBeNaN();
  });

  it("turns bad PromQL into a bad_data error carrying Prometheus's message", async () => {
    const error = await client.query('sum(rate(http_requests_total[5m])').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PrometheusError);
    expect(error).toMatchObject({ kind: 'bad_data', errorType: 'bad_data', status: 400 });
    expect((error as Error).message).toContain('unclosed left parenthesis');
    expect((error as Error).message).toContain(`${prometheus.url}/api/v1/query`);
  });

  it('reports its version', async () => {
    expect((await client.buildInfo()).version).toMatch(/^2\.42\./);
  });

  it('lists rule groups and firing alerts', async () => {
    // The rules are evaluated every second from startup; give the first evaluation a few seconds.
    const deadline = Date.now() + 10_000;
    let alerts = await client.alerts();
    while (!alerts.some((a) => a.state === 'firing') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      alerts = await client.alerts();
    }
    expect(alerts).toEqual([
      expect.objectContaining({
        labels: { alertname: 'AlwaysFiring', severity: 'ticket' },
        annotations: { summary: 'fires on the first evaluation' },
        state: 'firing',
        value: 1,
      }),
    ]);

    const [group, ...others] = await client.rules();
    expect(others).toEqual([]);
    expect(group).toMatchObject({ name: 'client-test', interval: 1 });
    expect(group?.rules.map((r) => [r.type, r.name, r.health])).toEqual([
      ['recording', 'test:one', 'ok'],
      ['alerting', 'AlwaysFiring', 'ok'],
    ]);
  });
});

describe('when Prometheus cannot answer', () => {
  it('reports a stopped Prometheus as unavailable, at once', async () => {
    const stopped = await startPrometheus();
    await stopped.stop();
    const began = Date.now();
    const error = await createPrometheusClient({ url: stopped.url })
      .query('up')
      .catch((e: unknown) => e);

    expect(Date.now() - began).toBeLessThan(1_000);
    expect(error).toMatchObject({ kind: 'unavailable' });
    expect((error as Error).message).toContain(`${stopped.url}/api/v1/query`);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('gives up on a server that accepts the connection and never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    try {
      const began = Date.now();
      const error = await createPrometheusClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 300 })
        .query('up')
        .catch((e: unknown) => e);
      const elapsed = Date.now() - began;

      expect(error).toMatchObject({ kind: 'timeout' });
      expect((error as Error).message).toContain('within 300 ms');
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(1_500);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it.each([
    [502, '<html><body>Bad Gateway</body></html>', 'unavailable'],
    [504, 'upstream timed out', 'timeout'],
    [404, '404 page not found', 'http'],
    [401, 'Unauthorized', 'http'],
    [200, '<html>not the API</html>', 'http'],
    [
      200,
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}',
      'http',
    ],
    [
      422,
      '{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}',
      'bad_data',
    ],
    [
      503,
      '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}',
      'timeout',
    ],
  ])('classifies HTTP %i with body %s as %s', async (status, body, kind) => {
    const fake = await fakePrometheus(() => ({ status, body }));
    try {
      const error = await createPrometheusClient({ url: fake.url })
        .query('up')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PrometheusError);
      expect(error).toMatchObject({ kind, status });
    } finally {
      await fake.close();
    }
  });
});

describe('requests', () => {
  const EMPTY_VECTOR = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } });

  it('POSTs the query form under the path prefix, with bearer token and extra headers', async () => {
    const fake = await fakePrometheus(() => ({ status: 200, body: EMPTY_VECTOR }));
    try {
      const prefixed = createPrometheusClient({
        url: `${fake.url}/prometheus/`,
        bearerToken: 's3cret',
        headers: { 'X-Scope-OrgID': 'tenant-a' },
        timeoutMs: 2_500,
      });
      const expr = `sum(rate(http_requests_total{code=~"5.."}[5m])) ${'+ 0 '.repeat(2_000)}`;
      await prefixed.query(expr, new Date(1_700_000_000_123));

      const [request] = fake.requests;
      expect(request).toMatchObject({ method: 'POST', path: '/prometheus/api/v1/query' });
      expect(request?.headers).toMatchObject({
        authorization: 'Bearer s3cret',
        'x-scope-orgid': 'tenant-a',
        'content-type': expect.stringMatching(/^application\/x-www-form-urlencoded/),
      });
      expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
        query: expr,
        time: '1700000000.123',
        timeout: '2500ms',
      });
      expect(prefixed.url).toBe(`${fake.url}/prometheus`);
    } finally {
      await fake.close();
    }
  });

  it('sends basic auth taken from the URL, and keeps the password out of errors', async () => {
    const fake = await fakePrometheus(() => ({ status: 401, body: 'Unauthorized' }));
    try {
      const withCredentials = createPrometheusClient({ url: fake.url.replace('//', '//alice:hunter%3A2@') });
      const error = await withCredentials.buildInfo().catch((e: unknown) => e);

      expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/status/buildinfo' });
      expect(fake.requests[0]?.headers.authorization).toBe(`Basic ${btoa('alice:hunter:2')}`);
      expect(error).toMatchObject({ kind: 'http', status: 401 });
      expect((error as Error).message).not.toContain('hunter');
      expect(withCredentials.url).toBe(fake.url);
    } finally {
      await fake.close();
    }
  });

  it('rejects a client that is given two kinds of credentials', () => {
    expect(() =>
      createPrometheusClient({
        url: 'http://127.0.0.1:9090',
        bearerToken: 't',
        basicAuth: { username: 'u', password: 'p' },
      }),
    ).toThrow(/not both/);
  });
});

function vectorOf(result: QueryResult): InstantSample[] {
  if (result.resultType !== 'vector') throw new Error(`expected a vector, got a ${result.resultType}`);
  return result.result;
}

interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server that records every request and answers with whatever `respond` says. */
async function fakePrometheus(respond: (request: CapturedRequest) => { status: number; body: string }) {
  const requests: CapturedRequest[] = [];
  const server = createHttpServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
    requests.push(request);
    const answer = respond(request);
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('no port'));
    });
  });
}
