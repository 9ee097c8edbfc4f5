import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowsOf } from '../../src/conventions/names.ts';
import type { SloStatus } from '../../src/evaluator/report.ts';
import { type Evaluation, evaluateNow } from '../../src/evaluator/run.ts';
import { errorBudget, tierFacts } from '../../src/policy/burn.ts';
import { formatDuration } from '../../src/policy/duration.ts';
import { createPrometheusClient } from '../../src/prometheus/client.ts';
import type { Slo } from '../../src/spec/model.ts';
import {
  DAY,
  expectedRatio,
  HOUR,
  historyToOpenMetrics,
  MINUTE,
  recordings,
  requestCounters,
  type SeriesHistory,
  type Timeline,
} from '../support/history.ts';
import { freePort } from '../support/ports.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { sloNamed, slosFrom } from '../support/promtool-scenario.ts';

/**
 * Known burn rates and budgets on 31 days of backfilled history, evaluated by burnbook against a
 * real Prometheus at the last backfilled minute. Every expected number is computed here from the
 * increments that built the history.
 */

const SPEC = `
apiVersion: burnbook/v1
service: scn
slos:
  - name: steady
    objective: 99.5
    sli: {ratio: {errors: 'steady_requests_total{code="500"}', total: steady_requests_total}}
  - name: incident
    objective: 99.5
    sli: {ratio: {errors: 'incident_requests_total{code="500"}', total: incident_requests_total}}
  - name: idle
    objective: 99.5
    sli: {ratio: {errors: 'idle_requests_total{code="500"}', total: idle_requests_total}}
  - name: restarted
    objective: 99.5
    sli: {ratio: {errors: 'restarted_requests_total{code="500"}', total: restarted_requests_total}}
  - name: tenants
    objective: 99.9
    groupBy: [tenant]
    sli: {ratio: {errors: 'tenants_requests_total{code="500"}', total: tenants_requests_total}}
  - name: recorded
    objective: 99
    minEvents: 100
    sli: {ratio: {errors: 'recorded_requests_total{code="500"}', total: recorded_requests_total}}
`;

const slos = slosFrom(SPEC);
const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline: Timeline = { start: END - 31 * DAY, end: END, stepMs: MINUTE };
const RATE = 1000;

interface Scenario {
  /** Errors and all requests per step, by group labels. */
  groups: Array<{
    labels: Record<string, string>;
    errors: (t: number) => number;
    total: (t: number) => number;
  }>;
  resets?: number[];
  /** Leave the errors counter out, as client libraries do before the first error. */
  noErrorSeries?: boolean;
}

const ratioOf = (early: number, late: number, since: number) => (t: number) =>
  RATE * (t > END - since ? late : early);
const RESET = END - 15 * MINUTE;

const SCENARIOS: Record<string, Scenario> = {
  steady: { groups: [{ labels: {}, errors: () => RATE * 0.001, total: () => RATE }] },
  incident: { groups: [{ labels: {}, errors: ratioOf(0.001, 0.2, 30 * MINUTE), total: () => RATE }] },
  idle: { groups: [{ labels: {}, errors: () => 0, total: () => 0 }], noErrorSeries: true },
  restarted: {
    groups: [{ labels: {}, errors: ratioOf(0.002, 0.1, 20 * MINUTE), total: () => RATE }],
    resets: [RESET],
  },
  tenants: {
    groups: [
      { labels: { tenant: 'a' }, errors: ratioOf(0, 0.05, 2 * HOUR), total: () => RATE },
      { labels: { tenant: 'b' }, errors: () => 0, total: () => RATE },
    ],
  },
  recorded: { groups: [{ labels: {}, errors: () => RATE * 0.002, total: () => RATE }] },
};

function rawSeries(name: string, scenario: Scenario): SeriesHistory[] {
  return scenario.groups.flatMap((g) =>
    requestCounters(timeline, `${name}_requests_total`, g, {
      ...(scenario.resets ? { resets: scenario.resets } : {}),
      errorSeries: !(scenario.noErrorSeries || g.labels.tenant === 'b'),
    }),
  );
}

// The "recorded" SLO's recording rules, as if loaded two days ago: values that differ from its raw
// SLI, so each number shows where it came from. The 30m ratio record is missing on purpose.
const RECORDED_RATIO = 0.0123;
const RECORDED_TOTAL_RATE = 10;
const recordedWindows = [5 * MINUTE, HOUR, 6 * HOUR];
const records = recordings(timeline, { slo_service: 'scn', slo: 'recorded' }, END - 2 * DAY, {
  ratio: RECORDED_RATIO,
  totalRate: RECORDED_TOTAL_RATE,
  windowsMs: recordedWindows,
});

function statusOf(evaluation: Evaluation, name: string): SloStatus {
  const status = evaluation.slos.find((s) => s.slo === name);
  if (!status) throw new Error(`no status for ${name}`);
  return status;
}

function expectClose(actual: number | null | undefined, expected: number, what: string) {
  expect(actual, what).not.toBeNull();
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    1e-9 + Math.abs(expected) * 1e-9,
  );
}

/** What burnbook must report for one group of a raw-SLI scenario, from the scenario itself. */
function expectRawGroup(slo: Slo, group: Scenario['groups'][number], actual: SloStatus['groups'][number]) {
  const budget = errorBudget(slo.objective);
  const ratio = (w: number) => expectedRatio(timeline, group.errors, group.total, END, w);
  for (const w of windowsOf(slo)) {
    const key = formatDuration(w);
    expectClose(
      actual.errorRatios[key],
      ratio(w),
      `${slo.name} ${JSON.stringify(group.labels)} ${key} ratio`,
    );
    expectClose(actual.burnRates[key], ratio(w) / budget, `${slo.name} ${key} burn rate`);
  }
  expectClose(actual.budgetRemaining, 1 - ratio(slo.periodMs) / budget, `${slo.name} budget remaining`);
  for (const [i, tier] of slo.alerting.tiers.entries()) {
    const { threshold } = tierFacts(tier, slo.periodMs, slo.objective);
    const burning = ratio(tier.longMs) > threshold && ratio(tier.shortMs) > threshold;
    expect(actual.tiers[i]?.burning, `${slo.name} ${tier.name} burning`).toBe(burning);
  }
}

let prometheus: RunningPrometheus;
let evaluation: Evaluation;

beforeAll(async () => {
  const history = [...Object.entries(SCENARIOS).flatMap(([name, s]) => rawSeries(name, s)), ...records];
  prometheus = await startPrometheus({ backfillOpenMetrics: historyToOpenMetrics(history) });
  const client = createPrometheusClient({ url: prometheus.url, timeoutMs: 20_000 });
  evaluation = await evaluateNow(client, slos, new Date(END));
});

afterAll(async () => {
  await prometheus?.stop();
});

describe('evaluation on backfilled history (real Prometheus)', () => {
  it('batches by window and source: one probe, then one query per window per source', () => {
    expect(evaluation.errors).toEqual([]);
    // 6 windows read raw; 5m, 30m, 1h and 6h from the rules too; 30m again raw for its missing record.
    expect(evaluation.queries).toBe(1 + 6 + 4 + 1);
  });

  for (const name of ['steady', 'incident', 'idle', 'restarted']) {
    it(`${name}: burn rates, budget and tiers from the raw SLI`, () => {
      const status = statusOf(evaluation, name);
      const [group] = SCENARIOS[name]?.groups ?? [];
      expect(status.groups).toHaveLength(1);
      expectRawGroup(
        sloNamed(slos, name),
        group as Scenario['groups'][number],
        status.groups[0] as SloStatus['groups'][number],
      );
      expect(status.source).toBe('raw');
    });
  }

  it('steady: 0.1% errors on a 0.5% budget burn at 0.2× and leave 80% of the budget', () => {
    const status = statusOf(evaluation, 'steady');
    expectClose(status.budgetRemaining, 0.8, 'budget');
    for (const rate of Object.values(status.burnRates)) expectClose(rate, 0.2, 'burn');
    expect(status.tiers.map((t) => t.burning)).toEqual([false, false, false]);
  });

  it('zero traffic reads as zero errors, not as unknown', () => {
    const status = statusOf(evaluation, 'idle');
    expect(status.budgetRemaining).toBe(1);
    expect(status.tiers.every((t) => t.burning === false)).toBe(true);
    expect(status.timeToExhaustionMs).toBeNull();
  });

  it("incident: the fast tier burns; the budget runs out at the last hour's burn rate", () => {
    const status = statusOf(evaluation, 'incident');
    expect(status.tiers.find((t) => t.tier === 'fast')?.burning).toBe(true);
    const slo = sloNamed(slos, 'incident');
    const burn1h = status.burnRates['1h'] as number;
    expectClose(
      status.timeToExhaustionMs,
      (slo.periodMs / burn1h) * (status.budgetRemaining as number),
      'exhaustion',
    );
  });

  it('groupBy: one status per tenant; the burning tenant leads the SLO', () => {
    const status = statusOf(evaluation, 'tenants');
    const slo = sloNamed(slos, 'tenants');
    expect(
      status.groups.map((g) => g.labels).sort((a, b) => (a.tenant ?? '').localeCompare(b.tenant ?? '')),
    ).toEqual([{ tenant: 'a' }, { tenant: 'b' }]);
    for (const group of SCENARIOS.tenants?.groups ?? []) {
      const actual = status.groups.find((g) => g.labels.tenant === group.labels.tenant);
      expectRawGroup(slo, group, actual as SloStatus['groups'][number]);
    }
    expect(status.labels).toEqual({ tenant: 'a' });
    expect(status.tiers.map((t) => t.burning)).toEqual(
      status.groups.find((g) => g.labels.tenant === 'a')?.tiers.map((t) => t.burning),
    );
  });

  it('recording rules where their history covers the window, the raw SLI elsewhere', () => {
    const status = statusOf(evaluation, 'recorded');
    const slo = sloNamed(slos, 'recorded');
    expect(status.source).toBe('mixed');
    expect(status.sources).toEqual({
      '5m': 'rules',
      '30m': 'raw',
      '1h': 'rules',
      '6h': 'rules',
      '3d': 'raw',
      '30d': 'raw',
    });
    for (const w of recordedWindows)
      expectClose(status.errorRatios[formatDuration(w)], RECORDED_RATIO, `${w} from rules`);
    const raw = SCENARIOS.recorded?.groups[0] as Scenario['groups'][number];
    for (const w of [30 * MINUTE, 3 * DAY, slo.periodMs]) {
      expectClose(
        status.errorRatios[formatDuration(w)],
        expectedRatio(timeline, raw.errors, raw.total, END, w),
        `${w} raw`,
      );
    }
    // minEvents counts events the way the generated rule does: from the 5m recording, or the raw total.
    const fast = status.tiers.find((t) => t.tier === 'fast');
    const verySlow = status.tiers.find((t) => t.tier === 'very-slow');
    expectClose(fast?.longWindowEvents, RECORDED_TOTAL_RATE * 3600, 'events in 1h (rules)');
    expectClose(verySlow?.longWindowEvents, (RATE * (3 * DAY)) / MINUTE, 'events in 3d (raw)');
  });

  it("status --json prints every SLO in the documented shape, at Prometheus's now", () => {
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-status-'));
    writeFileSync(join(dir, 'scn.yaml'), SPEC);
    const run = spawnSync(
      process.execPath,
      [resolve('bin/burnbook.js'), 'status', join(dir, 'scn.yaml'), '--json'],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, BURNBOOK_PROMETHEUS_URL: prometheus.url } },
    );
    expect(run.status, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as SloStatus[];
    expect(printed.map((s) => `${s.service}/${s.slo}`)).toEqual(slos.map((s) => `${s.service}/${s.name}`));
    const steady = printed.find((s) => s.slo === 'steady') as SloStatus;
    expect(Object.keys(steady)).toEqual(
      expect.arrayContaining(['service', 'slo', 'objective', 'budgetRemaining', 'burnRates', 'tiers']),
    );
    expect(steady.objective).toBe(99.5);
    expect(Object.keys(steady.burnRates)).toEqual(['5m', '30m', '1h', '6h', '3d', '30d']);
    expectClose(steady.burnRates['1h'], 0.2, 'steady 1h burn now');
    expect(steady.tiers[0]).toMatchObject({
      tier: 'fast',
      severity: 'page',
      firing: false,
      threshold: 0.072,
    });
  });

  it('status exits 3 with the URL and no stack trace when Prometheus is unreachable', async () => {
    const port = await freePort();
    const run = spawnSync(
      process.execPath,
      [resolve('bin/burnbook.js'), 'status', 'slos/', '--prometheus-url', `http://127.0.0.1:${port}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status).toBe(3);
    expect(run.stderr).toContain(
      `Cannot evaluate SLOs: Prometheus at http://127.0.0.1:${port}/api/v1/query is unreachable`,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });
});
