import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPrometheusClient,
  type InstantSample,
  type PrometheusClient,
} from '../../src/prometheus/client.ts';
import { type FirstLookQuery, firstLookQueries } from '../../src/runbooks/context.ts';
import { loadSpecs } from '../../src/spec/load.ts';
import type { Slo } from '../../src/spec/model.ts';
import { type CounterSeries, countersToOpenMetrics } from '../support/openmetrics.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';

/**
 * The first-look queries on a real Prometheus, on history where every rate is known: the
 * confirm value is the error ratio, and the scope shares add up to it, split the way the
 * traffic was.
 */

const STEP_SECONDS = 60;
const MINUTE = 60_000;
const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const START = END - 3 * 60 * MINUTE;
const INCIDENT_START = END - 30 * MINUTE;

/** A counter growing `perSecond` (or `during` once the incident starts). */
function counter(
  name: string,
  labels: Record<string, string>,
  perSecond: number,
  during = perSecond,
): CounterSeries {
  return { name, labels, increment: (t) => (t > INCIDENT_START ? during : perSecond) * STEP_SECONDS };
}

const http = (route: string, code: string, rate: number, during?: number) =>
  counter('http_requests_total', { job: 'checkout', route, code }, rate, during);
const search = (tenant: string, index: string, status: string, rate: number) =>
  counter('search_requests_total', { job: 'search', tenant, index, instance: 'i1', status }, rate);

// Rates per second at END, during the incident.
const SERIES: CounterSeries[] = [
  http('/pay', '200', 6),
  http('/pay', '500', 0.6),
  // Barely any 503s until the incident; never zero, so every series extrapolates alike in rate().
  http('/cart', '503', 0.01, 0.4),
  http('/cart', '200', 3),
  http('/health', '200', 1),
  search('a', 'products', 'ok', 9),
  search('a', 'products', 'error', 0.5),
  search('a', 'users', 'ok', 4),
  search('a', 'users', 'error', 0.25),
  search('b', 'products', 'ok', 2),
  search('b', 'users', 'error', 0.02),
];

const { slos } = loadSpecs(['slos']);
let prometheus: RunningPrometheus;
let client: PrometheusClient;

beforeAll(async () => {
  prometheus = await startPrometheus({
    backfillOpenMetrics: countersToOpenMetrics(SERIES, {
      start: new Date(START),
      end: new Date(END),
      stepSeconds: STEP_SECONDS,
    }),
  });
  client = createPrometheusClient({ url: prometheus.url });
});

afterAll(async () => {
  await prometheus?.stop();
});

function slo(service: string, name: string): Slo {
  const found = slos.find((s) => s.service === service && s.name === name);
  if (!found) throw new Error(`${service}/${name} missing from slos/`);
  return found;
}

function queriesOf(s: Slo): FirstLookQuery[] {
  const fast = s.alerting.tiers.find((t) => t.name === 'fast');
  if (!fast) throw new Error('no fast tier');
  return firstLookQueries(s, fast);
}

async function run(expr: string): Promise<InstantSample[]> {
  const result = await client.query(expr, new Date(END));
  if (result.resultType !== 'vector') throw new Error(`expected a vector, got ${result.resultType}`);
  return result.result;
}

/** Values keyed by one label (or '' for a series without it). */
async function byLabel(expr: string, label: string): Promise<Record<string, number>> {
  return Object.fromEntries((await run(expr)).map((s) => [s.metric[label] ?? '', s.value]));
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

describe('first-look queries on a real Prometheus', () => {
  it('checkout availability: confirm is the 5m error ratio; route and code shares add up to it', async () => {
    const [confirm, byRoute, byCode, trend] = queriesOf(slo('checkout', 'availability'));
    if (!confirm || !byRoute || !byCode || !trend) throw new Error('expected four queries');
    const total = 6 + 0.6 + 0.4 + 3 + 1;

    const confirmed = await run(confirm.expr);
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]?.value).toBeCloseTo(1 / total, 9);

    const routes = await byLabel(byRoute.expr, 'route');
    expect(routes['/pay']).toBeCloseTo(0.6 / total, 9);
    expect(routes['/cart']).toBeCloseTo(0.4 / total, 9);
    // A route without a single error still shows, at 0, rather than vanishing.
    expect(routes['/health']).toBe(0);
    expect(sum(routes)).toBeCloseTo(confirmed[0]?.value ?? Number.NaN, 12);

    const codes = await byLabel(byCode.expr, 'code');
    expect(codes['500']).toBeCloseTo(0.6 / total, 9);
    expect(codes['503']).toBeCloseTo(0.4 / total, 9);
    expect(sum(codes)).toBeCloseTo(confirmed[0]?.value ?? Number.NaN, 12);

    // Over 1h the 503s ran at 0.4/s for half the window and 0.01/s before.
    const trendErrors = 0.6 + (0.4 + 0.01) / 2;
    const trendTotal = 6 + 3 + 1 + trendErrors;
    const trended = await run(trend.expr);
    expect(trended[0]?.value).toBeCloseTo(trendErrors / trendTotal, 3);
  });

  it("search tenant availability: one value per tenant, and each tenant's index shares add up to it", async () => {
    const [confirm, byIndex] = queriesOf(slo('search', 'tenant-availability'));
    if (!confirm || !byIndex) throw new Error('expected confirm and scope queries');
    const tenants = await byLabel(confirm.expr, 'tenant');
    expect(tenants.a).toBeCloseTo(0.75 / (9 + 0.5 + 4 + 0.25), 9);
    expect(tenants.b).toBeCloseTo(0.02 / 2.02, 9);

    const shares = await run(byIndex.expr);
    for (const tenant of ['a', 'b']) {
      const mine = shares.filter((s) => s.metric.tenant === tenant);
      expect(mine.map((s) => s.metric.index).sort()).toEqual(['products', 'users']);
      expect(mine.reduce((a, s) => a + s.value, 0)).toBeCloseTo(tenants[tenant] ?? Number.NaN, 12);
    }
    const aProducts = shares.find((s) => s.metric.tenant === 'a' && s.metric.index === 'products');
    expect(aProducts?.value).toBeCloseTo(0.5 / 13.75, 9);
  });
});
