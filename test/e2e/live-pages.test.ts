import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { windowsOf } from '../../src/conventions/names.ts';
import type { EvaluationProvider } from '../../src/evaluator/plugin.ts';
import {
  type EvaluatorReport,
  evaluatorReportSchema,
  type SloHistory,
  sloHistorySchema,
  sloStatusSchema,
} from '../../src/evaluator/report.ts';
import { errorBudget } from '../../src/policy/burn.ts';
import { formatDuration } from '../../src/policy/duration.ts';
import { testApp } from '../support/app.ts';
import {
  DAY,
  expectedRatio,
  HOUR,
  historyToOpenMetrics,
  MINUTE,
  recordings,
  requestCounters,
  type Timeline,
} from '../support/history.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { sloNamed, slosFrom } from '../support/promtool-scenario.ts';
import { type RunningProxy, startProxy } from '../support/proxy.ts';
import { until } from '../support/wait.ts';

/**
 * The pages' live numbers and the SLO page's chart data, from burnbook's own evaluator and a real
 * Prometheus on 31 days of backfilled history. Expected numbers come from the increments that built
 * the history. Prometheus sits behind a proxy, so the last tests can make it hang.
 */

const SPEC = `
apiVersion: burnbook/v1
service: live
slos:
  - name: healthy
    objective: 99.5
    sli: {ratio: {errors: 'healthy_requests_total{code="500"}', total: healthy_requests_total}}
  - name: strained
    objective: 99.5
    sli: {ratio: {errors: 'strained_requests_total{code="500"}', total: strained_requests_total}}
  - name: overspent
    objective: 99.5
    sli: {ratio: {errors: 'overspent_requests_total{code="500"}', total: overspent_requests_total}}
  - name: incident
    objective: 99.5
    sli: {ratio: {errors: 'incident_requests_total{code="500"}', total: incident_requests_total}}
  - name: tenants
    objective: 99.9
    groupBy: [tenant]
    sli: {ratio: {errors: 'tenants_requests_total{code="500"}', total: tenants_requests_total}}
  - name: recorded
    objective: 99
    sli: {ratio: {errors: 'recorded_requests_total{code="500"}', total: recorded_requests_total}}
`;

const slos = slosFrom(SPEC);
const END = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline: Timeline = { start: END - 31 * DAY, end: END, stepMs: MINUTE };
const RATE = 1000;
// Label values are data from elsewhere: this one must reach every page escaped.
const HOSTILE = '<b>"x"</b>';

interface Group {
  labels: Record<string, string>;
  errors: (t: number) => number;
  total: (t: number) => number;
}

const steady = (ratio: number): Group[] => [{ labels: {}, errors: () => RATE * ratio, total: () => RATE }];
const lately = (early: number, late: number, since: number) => (t: number) =>
  RATE * (t > END - since ? late : early);

const SCENARIOS: Record<string, Group[]> = {
  healthy: steady(0.001),
  strained: steady(0.004),
  overspent: steady(0.006),
  incident: [{ labels: {}, errors: lately(0.001, 0.2, 30 * MINUTE), total: () => RATE }],
  tenants: [
    { labels: { tenant: 'a' }, errors: lately(0, 0.05, 2 * HOUR), total: () => RATE },
    { labels: { tenant: 'b' }, errors: () => 0, total: () => RATE },
    { labels: { tenant: HOSTILE }, errors: () => RATE * 0.0001, total: () => RATE },
  ],
  recorded: steady(0.003),
};

const rawSeries = (name: string, groups: Group[]) =>
  groups.flatMap((g) => requestCounters(timeline, `${name}_requests_total`, g));

// "recorded" has burnbook's recording rules for two days, reading a ratio its raw SLI never had.
const RECORDED_RATIO = 0.0123;
const records = recordings(timeline, { slo_service: 'live', slo: 'recorded' }, END - 2 * DAY, {
  ratio: RECORDED_RATIO,
  totalRate: 10,
  windowsMs: [5 * MINUTE, HOUR, 6 * HOUR],
});

/** Budget left over the period as the history built it: exact for the steady ones at any instant. */
function expectedBudget(name: string, group = 0): number {
  const g = SCENARIOS[name]?.[group] as Group;
  const slo = sloNamed(slos, name);
  return 1 - expectedRatio(timeline, g.errors, g.total, END, slo.periodMs) / errorBudget(slo.objective);
}

let prometheus: RunningPrometheus;
let proxy: RunningProxy;
let app: FastifyInstance;

const report = (): EvaluatorReport => (app.evaluation as EvaluationProvider).latest();

// Pages must not wait out Prometheus's timeout; bounding by it (not a speed figure) keeps this
// a test of behaviour that holds on a loaded CI machine.
const PROMETHEUS_TIMEOUT_MS = 2_000;

async function get(url: string) {
  const started = performance.now();
  const response = await app.inject({ method: 'GET', url });
  return { response, ms: performance.now() - started };
}

/** The history API's answer, in the shape its schema declares (strict: no key more, none less). */
async function history(url: string): Promise<SloHistory> {
  const { response } = await get(url);
  expect(response.statusCode, response.body).toBe(200);
  return sloHistorySchema.parse(response.json());
}

beforeAll(async () => {
  const series = [...Object.entries(SCENARIOS).flatMap(([name, g]) => rawSeries(name, g)), ...records];
  prometheus = await startPrometheus({ backfillOpenMetrics: historyToOpenMetrics(series) });
  proxy = await startProxy({ port: Number(new URL(prometheus.url).port) });
  app = await testApp({
    slos,
    prometheusUrl: proxy.url,
    evaluationIntervalMs: 500,
    prometheusAccess: { timeoutMs: PROMETHEUS_TIMEOUT_MS },
  });
  await app.ready();
  await until('the first evaluation', () => report().state === 'ok');
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
  await prometheus?.stop();
});

/** The rows of `/` in page order: SLO and the budget shown. */
function indexRows(html: string): Array<{ slo: string; budget: string; burns: string[]; alerts: string }> {
  return [...html.matchAll(/<tr data-slo="([^"]+)">([\s\S]*?)<\/tr>/g)].map(([, slo, row]) => ({
    slo: (slo ?? '').replace(/&#x2F;/g, '/'),
    budget: /data-budget>([^<]*)</.exec(row ?? '')?.[1] ?? '',
    burns: [...(row ?? '').matchAll(/data-burn="[^"]*">([^<]*)</g)].map((m) => m[1] ?? ''),
    alerts: /data-label="Alerts">([\s\S]*?)<\/td>/.exec(row ?? '')?.[1] ?? '',
  }));
}

describe('live pages on backfilled history (real Prometheus, real evaluator)', () => {
  it('/ lists every SLO least budget left first, with budget, burn now and burning tiers', async () => {
    const { response } = await get('/');
    expect(response.statusCode).toBe(200);
    const rows = indexRows(response.body);
    // For tenants, tenant a's: the group the evaluator leads with.
    const expected = slos
      .map((s) => ({ slo: `live/${s.name}`, left: expectedBudget(s.name) }))
      .sort((a, b) => a.left - b.left);
    expect(rows.map((r) => r.slo)).toEqual(expected.map((r) => r.slo));
    const row = (name: string) => rows.find((r) => r.slo === `live/${name}`);
    // 0.1%, 0.4%, 0.6% and 0.3% errors on budgets of 0.5%, 0.5%, 0.5% and 1%.
    expect(row('healthy')?.budget).toBe('80%');
    expect(row('strained')?.budget).toBe('20%');
    expect(row('overspent')?.budget).toBe('-20%');
    expect(row('recorded')?.budget).toBe('70%');
    expect(row('healthy')?.burns).toEqual(['0.2×', '0.2×']);
    expect(row('overspent')?.burns).toEqual(['1.2×', '1.2×']);
    // 20% errors for the last 30 minutes: the fast tier's 1h window burns, alerting after its `for`.
    expect(row('incident')?.alerts).toMatch(/fast (pending|firing)/);
    expect(row('healthy')?.alerts).toContain('none');
    expect(response.body).not.toContain('class="banner');
  });

  it('/ agrees with /api/v1/slos to the digits it shows', async () => {
    const { response } = await get('/api/v1/slos');
    const statuses = evaluatorReportSchema.parse(response.json()).slos;
    for (const name of ['healthy', 'strained', 'overspent', 'incident']) {
      const left = statuses.find((s) => s.slo === name)?.budgetRemaining as number;
      expect(Math.abs(left - expectedBudget(name)), name).toBeLessThan(1e-4);
    }
  });

  it('status --json prints every SLO in the shape its schema declares, with the numbers the history gives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-status-'));
    writeFileSync(join(dir, 'live.yaml'), SPEC);
    const run = await promisify(execFile)(
      process.execPath,
      [resolve('bin/burnbook.js'), 'status', join(dir, 'live.yaml'), '--prometheus-url', proxy.url, '--json'],
      { encoding: 'utf8' },
    );
    const statuses = z.array(sloStatusSchema).parse(JSON.parse(run.stdout));
    expect(statuses.map((s) => s.slo)).toEqual(slos.map((s) => s.name));
    for (const name of ['healthy', 'strained', 'overspent', 'incident']) {
      const left = statuses.find((s) => s.slo === name)?.budgetRemaining as number;
      expect(Math.abs(left - expectedBudget(name)), name).toBeLessThan(1e-4);
    }
  });

  it('the SLO page shows the numbers now, each tier, and where its charts come from', async () => {
    const { response } = await get('/slos/live/incident');
    expect(response.statusCode).toBe(200);
    const html = response.body;
    expect(html).toContain('<h2 id="now">Now</h2>');
    expect(html).toMatch(/<tr data-tier="fast">[\s\S]*?class="state (pending|firing)"/);
    expect(html).toMatch(/<tr data-tier="slow">[\s\S]*?class="state quiet"/);
    // The evaluator holds the fast tier pending or firing since it started: the charts open on 1h, which shows that.
    expect(html).toContain(
      'data-history="..&#x2F;..&#x2F;api&#x2F;v1&#x2F;slos&#x2F;live&#x2F;incident&#x2F;history?range&#x3D;1h"',
    );
    // The chart library is served by burnbook and allowed by the page's CSP, pinned by integrity.
    const src = /<script src="([^"]+)" integrity="(sha384-[^"]+)"/.exec(html);
    expect(src?.[1]).toMatch(/^\.\.&#x2F;\.\.&#x2F;assets&#x2F;uplot\.iife\.min\.js\?v&#x3D;[0-9a-f]{12}$/);
    expect(html).toMatch(/script-src 'self' 'sha256-/);
    const asset = await app.inject({ method: 'GET', url: '/assets/uplot.iife.min.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // Other pages keep the hash-only policy.
    const index = (await get('/')).response.body;
    expect(index).toMatch(/script-src 'sha256-[^ ]+; img-src/);
  });

  it('history: burn rates per window and budget left, as the history was built (raw SLI)', async () => {
    const slo = sloNamed(slos, 'incident');
    const h = await history('/api/v1/slos/live/incident/history?range=24h');
    expect(h.stepSeconds).toBe(300);
    expect(h.timestamps).toHaveLength(289);
    expect(Object.keys(h.burnRates)).toEqual(windowsOf(slo).map(formatDuration));
    expect(Object.values(h.sources).every((s) => s === 'raw')).toBe(true);
    expect(h.tiers.map((t) => [t.tier, t.factor])).toEqual([
      ['fast', 14.4],
      ['slow', 6],
      ['very-slow', 1],
    ]);
    const { errors, total } = (SCENARIOS.incident as Group[])[0] as Group;
    const budget = errorBudget(slo.objective);
    const ratio = (at: number, w: number) => expectedRatio(timeline, errors, total, at, w);
    const checked = h.timestamps.flatMap((s, i) => (s * 1000 <= END ? [i] : []));
    expect(checked.length).toBeGreaterThan(280);
    // The period window (the budget line) every hour, so a raw 30d window is read 25 times, not 289.
    expect(h.budgetStepSeconds).toBe(3600);
    const every = h.budgetStepSeconds / h.stepSeconds;
    for (const i of checked) {
      const at = (h.timestamps[i] as number) * 1000;
      const what = (w: number) => `${formatDuration(w)} at ${new Date(at).toISOString()}`;
      for (const w of windowsOf(slo).filter((w) => w !== slo.periodMs)) {
        const actual = h.burnRates[formatDuration(w)]?.[i] as number;
        const expected = ratio(at, w) / budget;
        expect(Math.abs(actual - expected), what(w)).toBeLessThan(1e-9 * Math.max(1, expected));
      }
      if (i % every !== 0) {
        expect(h.budgetRemaining[i], what(slo.periodMs)).toBeNull();
        continue;
      }
      const left = 1 - ratio(at, slo.periodMs) / budget;
      expect(Math.abs((h.budgetRemaining[i] as number) - left), what(slo.periodMs)).toBeLessThan(1e-9);
      expect(h.burnRates['30d']?.[i]).toBeCloseTo(ratio(at, slo.periodMs) / budget, 9);
    }
    // The incident shows: 20% errors are 40× the budget over 5m at the last point before END.
    expect(h.burnRates['5m']?.[checked.at(-1) as number]).toBeCloseTo(40, 6);
    expect(h.burnRates['5m']?.[0]).toBeCloseTo(0.2, 9);
  });

  it('history: recording rules for the windows their history covers, the raw SLI for the rest', async () => {
    const h = await history('/api/v1/slos/live/recorded/history?range=6h');
    expect(h.stepSeconds).toBe(60);
    expect(h.sources).toEqual({
      '5m': 'rules',
      '30m': 'raw',
      '1h': 'rules',
      '6h': 'rules',
      '3d': 'raw',
      '30d': 'raw',
    });
    const before = h.timestamps.flatMap((s, i) => (s * 1000 <= END ? [i] : []));
    for (const i of before) {
      expect(h.burnRates['1h']?.[i]).toBeCloseTo(RECORDED_RATIO / 0.01, 9);
      expect(h.burnRates['30m']?.[i]).toBeCloseTo(0.3, 9);
    }
  });

  it('history: one group of a groupBy SLO, the one asked for or the one with least budget left', async () => {
    const slo = sloNamed(slos, 'tenants');
    const budget = errorBudget(slo.objective);
    const [a, b] = SCENARIOS.tenants as Group[];
    const chosen = await history('/api/v1/slos/live/tenants/history?range=24h');
    expect(chosen.group).toEqual({ tenant: 'a' });
    expect(chosen.groupsSeen).toBe(3);
    const asked = await history('/api/v1/slos/live/tenants/history?range=24h&group.tenant=a');
    expect(asked.burnRates).toEqual(chosen.burnRates);
    expect(asked.groupsSeen).toBe(1);
    const last = asked.timestamps.filter((s) => s * 1000 <= END).length - 1;
    const at = (asked.timestamps[last] as number) * 1000;
    expect(asked.burnRates['1h']?.[last]).toBeCloseTo(
      expectedRatio(timeline, (a as Group).errors, (a as Group).total, at, HOUR) / budget,
      9,
    );
    const quiet = await history('/api/v1/slos/live/tenants/history?range=24h&group.tenant=b');
    expect(quiet.group).toEqual({ tenant: 'b' });
    expect(quiet.burnRates['1h']?.[last]).toBe(0);
    expect((b as Group).errors(at)).toBe(0);
    const hostile = await history(
      `/api/v1/slos/live/tenants/history?group.tenant=${encodeURIComponent(HOSTILE)}`,
    );
    expect(hostile.group).toEqual({ tenant: HOSTILE });
    expect(hostile.burnRates['1h']?.[last]).toBeCloseTo(0.1, 9);
    const nobody = await history('/api/v1/slos/live/tenants/history?group.tenant=nobody');
    expect(nobody.group).toEqual({ tenant: 'nobody' });
    expect(nobody.burnRates['1h']?.every((v) => v === null)).toBe(true);
  });

  it('history: bad requests get clear errors', async () => {
    expect((await get('/api/v1/slos/live/nope/history')).response.statusCode).toBe(404);
    const bad = (await get('/api/v1/slos/live/healthy/history?range=2y')).response;
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: 'invalid query',
      problems: ['range: expected one of 1h, 3h, 6h, 24h, 7d'],
    });
  });

  it('the groupBy SLO page offers the most urgent groups, every label value escaped', async () => {
    const { response } = await get('/slos/live/tenants');
    const html = response.body;
    expect(html).toContain('Numbers and charts for <code>{tenant&#x3D;&quot;a&quot;}</code>');
    expect(html).toContain('group.tenant&#x3D;a');
    expect(html).toContain('{tenant&#x3D;&quot;&lt;b&gt;\\&quot;x\\&quot;&lt;&#x2F;b&gt;&quot;}');
    expect(html).not.toContain(HOSTILE);
    const picked = (await get(`/slos/live/tenants?group.tenant=${encodeURIComponent(HOSTILE)}`)).response
      .body;
    expect(picked).not.toContain(HOSTILE);
    expect(picked).toContain('group.tenant&#x3D;%3Cb%3E%22x%22%3C%2Fb%3E');
  });

  it('Prometheus hanging: pages answer at once, then say so with the error and the last success', async () => {
    proxy.route('hang');
    for (const url of ['/', '/slos/live/incident']) {
      const { response, ms } = await get(url);
      expect(response.statusCode).toBe(200);
      expect(ms, url).toBeLessThan(PROMETHEUS_TIMEOUT_MS);
    }
    // Switching the proxy to hang can close a connection already in flight ("other side closed");
    // the evaluations after it time out, which is what this test is about.
    await until(
      'the evaluator to time out',
      () => report().state === 'failed' && (report().error?.message.includes('did not answer') ?? false),
    );
    const lastSuccess = report().lastSuccessAt as string;
    const index = await get('/');
    expect(index.ms).toBeLessThan(PROMETHEUS_TIMEOUT_MS);
    expect(index.response.body).toContain(
      '<div class="banner failed" role="status"><strong>Prometheus is not answering</strong>',
    );
    expect(index.response.body).toContain('did not answer within 2000 ms');
    expect(index.response.body).toContain(
      `Last successful evaluation: ${lastSuccess.replace(/\.\d{3}Z$/, 'Z')}`,
    );
    expect(indexRows(index.response.body)).toHaveLength(slos.length);

    const page = await get('/slos/live/incident?range=7d');
    expect(page.ms).toBeLessThan(PROMETHEUS_TIMEOUT_MS);
    expect(page.response.body).toContain('No charts while Prometheus is not answering: Prometheus at');
    expect(page.response.body).not.toContain('data-history=');
    expect(page.response.body).not.toContain('<script src=');

    const api = await get('/api/v1/slos/live/incident/history?range=7d');
    expect(api.ms).toBeLessThan(PROMETHEUS_TIMEOUT_MS);
    expect(api.response.statusCode).toBe(503);
    expect(api.response.json().error).toContain('did not answer within 2000 ms');
  });

  it('Prometheus gone: refused connections read the same; back again, the banner goes', async () => {
    proxy.route('refuse');
    await until('a refused evaluation', () => report().error?.message.includes('unreachable') ?? false);
    const api = await get('/api/v1/slos/live/healthy/history');
    expect(api.response.statusCode).toBe(503);
    expect(api.response.json().error).toContain('is unreachable');
    proxy.route({ port: Number(new URL(prometheus.url).port) });
    await until('recovery', () => report().state === 'ok');
    expect((await get('/')).response.body).not.toContain('class="banner');
    expect((await get('/api/v1/slos/live/healthy/history?range=6h')).response.statusCode).toBe(200);
  });
});
