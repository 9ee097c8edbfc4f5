import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSlis } from '../../src/live-check/check.ts';
import { createPrometheusClient } from '../../src/prometheus/client.ts';
import { burnbook } from '../support/cli.ts';
import {
  counter,
  gauge,
  HOUR,
  historyToOpenMetrics,
  MINUTE,
  type SeriesHistory,
} from '../support/history.ts';
import { freePort } from '../support/ports.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom } from '../support/promtool-scenario.ts';
import { chooser, random } from '../support/random.ts';

/**
 * `burnbook validate --prometheus-url`, as a user runs it, against a real Prometheus holding two hours of
 * history that ends a minute ago: series that exist, a histogram without the threshold's bucket, errors
 * that have not happened yet, typos in a metric name, a label name and a label value, errors and total
 * swapped, and a target that stopped being scraped an hour ago; for boolGauge and errorRatio SLIs, a probe
 * that works, a metric typo, and gauges that read a percentage.
 */

const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline = { start: END - 2 * HOUR, end: END, stepMs: MINUTE };
const until = (end: number) => ({ ...timeline, end });
const perMinute = (n: number) => () => n;

const HISTORY: SeriesHistory[] = [
  {
    name: 'http_requests_total',
    labels: { job: 'checkout', code: '200' },
    points: counter(timeline, perMinute(600)),
  },
  {
    name: 'http_requests_total',
    labels: { job: 'checkout', code: '404' },
    points: counter(timeline, perMinute(6)),
  },
  { name: 'payments_total', labels: { job: 'payments' }, points: counter(timeline, perMinute(100)) },
  { name: 'payments_failed_total', labels: { job: 'payments' }, points: counter(timeline, perMinute(2)) },
  {
    name: 'search_request_duration_seconds_count',
    labels: { job: 'search' },
    points: counter(timeline, perMinute(60)),
  },
  ...['0.1', '0.25', '0.5', '1', '+Inf'].map((le, i) => ({
    name: 'search_request_duration_seconds_bucket',
    labels: { job: 'search', le },
    points: counter(timeline, perMinute([10, 40, 55, 59, 60][i] as number)),
  })),
  // A probe failing one minute in ten; a percentage where a 0/1 gauge or a ratio belongs.
  {
    name: 'probe_success',
    labels: { job: 'blackbox' },
    points: gauge(timeline, (t) => (t % (10 * MINUTE) ? 1 : 0)),
  },
  { name: 'probe_success_percent', labels: { job: 'blackbox' }, points: gauge(timeline, () => 100) },
  { name: 'wifi_error_ratio', labels: { job: 'wifi' }, points: gauge(timeline, () => 0.01) },
  { name: 'wifi_error_percent', labels: { job: 'wifi' }, points: gauge(timeline, () => 1) },
  // Scraped until an hour ago.
  {
    name: 'legacy_requests_total',
    labels: { job: 'legacy' },
    points: counter(until(END - HOUR), perMinute(10)),
  },
];

// Generated histograms: a layout of boundaries each, and a threshold that is one of them or lies between two.
const LAYOUTS = [
  ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10'],
  ['0.001048576', '0.004194304', '0.016777216', '0.067108864', '0.268435456', '1.073741824'],
  ['0.1', '0.2', '0.3', '0.4', '0.5', '0.75', '1', '2', '5'],
  ['1', '2', '4', '8', '16', '32', '64'],
];
const { int, pick } = chooser(random(31));
const GENERATED = Array.from({ length: 30 }, (_, i) => {
  const layout = pick(LAYOUTS);
  const at = int(layout.length - 1);
  const [low, high] = [layout[at] as string, layout[at + 1] as string];
  const exists = int(2) === 0;
  const threshold = exists ? low : String(Number(((Number(low) + Number(high)) / 2).toPrecision(6)));
  return { i, layout, threshold, exists, low, high };
});
for (const g of GENERATED) {
  HISTORY.push(
    { name: `gen${g.i}_seconds_count`, labels: { job: 'gen' }, points: counter(timeline, perMinute(10)) },
    ...[...g.layout, '+Inf'].map((le) => ({
      name: `gen${g.i}_seconds_bucket`,
      labels: { job: 'gen', le },
      points: counter(timeline, perMinute(10)),
    })),
  );
}

const ratio = (errors: string, total: string) => `{ratio: {errors: '${errors}', total: '${total}'}}`;
const GOOD = `apiVersion: burnbook/v1
service: shop
slos:
  - name: availability
    objective: 99.5
    sli: ${ratio('http_requests_total{job="checkout",code=~"5.."}', 'http_requests_total{job="checkout"}')}
  - name: payments
    objective: 99
    sli: ${ratio('payments_failed_total{job="payments"}', 'payments_total{job="payments"}')}
  - name: search-latency
    objective: 99
    sli: {latency: {histogram: 'search_request_duration_seconds{job="search"}', threshold: 0.25}}
  - name: probe
    objective: 99
    sli: {boolGauge: {metric: 'probe_success{job="blackbox"}'}}
  - name: wifi
    objective: 95
    sli: {errorRatio: {query: 'avg_over_time(wifi_error_ratio{job="wifi"}[{{window}}])'}}
`;
const BROKEN = `apiVersion: burnbook/v1
service: broken
slos:
  - name: missing-bucket
    objective: 99
    sli: {latency: {histogram: 'search_request_duration_seconds{job="search"}', threshold: 0.3}}
  - name: metric-typo
    objective: 99.5
    sli: ${ratio('http_request_total{job="checkout",code=~"5.."}', 'http_requests_total{job="checkout"}')}
  - name: label-typo
    objective: 99.5
    sli: ${ratio('http_requests_total{job="checkout",cod=~"5.."}', 'http_requests_total{job="checkout"}')}
  - name: value-typo
    objective: 99.5
    sli: ${ratio('http_requests_total{job="chekout",code=~"5.."}', 'http_requests_total{job="checkout"}')}
  - name: swapped
    objective: 99
    sli: ${ratio('payments_total{job="payments"}', 'payments_failed_total{job="payments"}')}
  - name: not-scraped
    objective: 99
    sli: ${ratio('legacy_requests_total{job="legacy",code="500"}', 'legacy_requests_total{job="legacy"}')}
  - name: probe-typo
    objective: 99
    sli: {boolGauge: {metric: 'probe_sucess{job="blackbox"}'}}
  - name: probe-percent
    objective: 99
    sli: {boolGauge: {metric: 'probe_success_percent{job="blackbox"}'}}
  - name: wifi-percent
    objective: 95
    sli: {errorRatio: {query: 'avg_over_time(wifi_error_percent{job="wifi"}[{{window}}]) * 100'}}
  - name: wifi-typo
    objective: 95
    sli: {errorRatio: {query: 'avg_over_time(wifi_eror_ratio{job="wifi"}[{{window}}])'}}
`;

let prometheus: RunningPrometheus;
let dir: string;

beforeAll(async () => {
  prometheus = await startPrometheus({ backfillOpenMetrics: historyToOpenMetrics(HISTORY) });
  dir = mkdtempSync(join(tmpdir(), 'burnbook-live-check-'));
  writeFileSync(join(dir, 'good.yaml'), GOOD);
  writeFileSync(join(dir, 'broken.yaml'), BROKEN);
});

afterAll(async () => {
  await prometheus?.stop();
});

/** The lines printed under one SLO of the report. */
function section(output: string, slo: string): string {
  const start = output.search(new RegExp(`^  \\S+ +${slo}$`, 'm'));
  expect(start, `${slo} in:\n${output}`).toBeGreaterThanOrEqual(0);
  const rest = output.slice(start);
  const next = rest.slice(1).search(/^ {2}\S/m);
  return next === -1 ? rest : rest.slice(0, next + 1);
}

describe('validate --prometheus-url: does every SLI read its series?', () => {
  it('SLIs that read their series pass (exit 0), with the bucket boundaries and errors that have not happened yet', () => {
    const run = burnbook(['validate', 'good.yaml', '--prometheus-url', prometheus.url], {}, dir);
    expect(run.code, run.all).toBe(0);
    expect(run.stdout).toContain('All 5 SLIs read their series in');
    const availability = section(run.stdout, 'shop/availability');
    expect(availability).toMatch(/^ {2}note {2}/);
    expect(availability).toContain(
      'errors: http_requests_total{job="checkout", code=~"5.."} has no series with code=~"5..": code has taken 200, 404: no error has happened yet',
    );
    expect(section(run.stdout, 'shop/search-latency')).toContain(
      'bucket: le="0.25" is a bucket of search_request_duration_seconds_bucket{job="search"}: 0.1, 0.25, 0.5, 1, +Inf',
    );
    expect(section(run.stdout, 'shop/payments')).toMatch(/^ {2}ok {4}/);
    expect(section(run.stdout, 'shop/probe')).toContain('total: probe_success{job="blackbox"}: 1 series now');
    expect(section(run.stdout, 'shop/wifi')).toContain('total: the total query returns 1 series');
  });

  it('SLIs that read nothing, or a ratio above 1, are broken (exit 1), each with why and what to do', () => {
    const run = burnbook(['validate', 'broken.yaml', '--prometheus-url', prometheus.url], {}, dir);
    expect(run.code, run.all).toBe(1);
    expect(run.all).not.toMatch(/\n\s+at /);
    expect(run.stdout).toContain('10 of 10 SLIs are broken');

    const bucket = section(run.stdout, 'broken/missing-bucket');
    expect(bucket).toContain(
      'bucket: 0.3 is no bucket boundary of search_request_duration_seconds_bucket{job="search"}, which has 0.1, 0.25, 0.5, 1, +Inf',
    );
    expect(bucket).toContain('hint: the nearest are 0.25 (below: stricter) and 0.5 (above: looser)');

    const metric = section(run.stdout, 'broken/metric-typo');
    expect(metric).toContain('matches nothing, ever: Prometheus has no series named http_request_total');
    expect(metric).toContain('hint: did you mean http_requests_total?');

    const label = section(run.stdout, 'broken/label-typo');
    expect(label).toContain('no series of http_requests_total has a label cod (it has code, job)');
    expect(label).toContain('hint: did you mean code?');

    // A value no series ever had, of a label total pins too: a typo, not errors that have not happened yet.
    const value = section(run.stdout, 'broken/value-typo');
    expect(value).toContain('has no series with job="chekout": job has taken ');
    expect(value).toContain('hint: did you mean job="checkout"?');
    expect(value).not.toContain('no error has happened yet');

    expect(section(run.stdout, 'broken/swapped')).toMatch(
      /error ratio: errors \/ total over the last 1h is 50, above 1: errors counts more events than total\n.*swapped/,
    );
    expect(section(run.stdout, 'broken/not-scraped')).toContain(
      'total: legacy_requests_total{job="legacy"} matched series before, but none now',
    );

    // issue 18's SLI kinds: a gauge is checked like any series; a ratio outside 0 to 1 says what it means.
    const probeTypo = section(run.stdout, 'broken/probe-typo');
    expect(probeTypo).toContain('Prometheus has no series named probe_sucess');
    expect(probeTypo).toContain('hint: did you mean probe_success?');
    expect(section(run.stdout, 'broken/probe-percent')).toMatch(
      /error ratio: errors \/ total over the last 1h is -99, below 0: .*\n.*hint: a boolGauge metric must read 0 or 1/,
    );
    expect(section(run.stdout, 'broken/wifi-percent')).toMatch(
      /error ratio: errors \/ total over the last 1h is 100, above 1: .*\n.*hint: the query must give bad ÷ all events/,
    );
    expect(section(run.stdout, 'broken/wifi-typo')).toContain(
      'the total query returns nothing over the last 5m',
    );
  });

  it('30 generated histograms: the bucket when the threshold is one, else the boundaries on either side', async () => {
    const slos = slosFrom(
      `apiVersion: burnbook/v1\nservice: gen\nslos:\n${GENERATED.map(
        (g) =>
          `  - {name: h${g.i}, objective: 99, sli: {latency: {histogram: 'gen${g.i}_seconds{job="gen"}', threshold: ${g.threshold}}}}`,
      ).join('\n')}\n`,
    );
    const checks = await checkSlis(createPrometheusClient({ url: prometheus.url }), slos);
    for (const [n, g] of GENERATED.entries()) {
      const bucket = checks[n]?.findings.find((f) => f.subject === 'bucket');
      const all = [...g.layout, '+Inf'].join(', ');
      expect(bucket?.message, `h${g.i}`).toContain(all);
      if (g.exists) {
        expect(checks[n]?.verdict, `h${g.i}`).toBe('ok');
        expect(bucket?.message).toMatch(new RegExp(`^le="${g.low.replace(/\./g, '\\.')}" is a bucket`));
      } else {
        expect(checks[n]?.verdict, `h${g.i}`).toBe('broken');
        expect(bucket?.hint, `h${g.i}`).toContain(
          `the nearest are ${g.low} (below: stricter) and ${g.high} (above: looser)`,
        );
      }
    }
    // Both kinds, or the loop above proves little.
    expect(GENERATED.filter((g) => g.exists).length).toBeGreaterThan(5);
    expect(GENERATED.filter((g) => !g.exists).length).toBeGreaterThan(5);
  });

  it('a Prometheus that cannot be reached is exit 3, with what was tried', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = burnbook(['validate', 'good.yaml', '--prometheus-url', closed], {}, dir);
    expect(run.code, run.all).toBe(3);
    expect(run.stderr).toContain(
      `Cannot check the SLIs: Prometheus at ${closed}/api/v1/status/buildinfo is unreachable`,
    );
    expect(run.all).not.toMatch(/\n\s+at /);
  });
});
