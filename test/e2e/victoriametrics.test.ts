import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { RECORDS, sloLabels } from '../../src/conventions/names.ts';
import {
  evaluatorReportSchema,
  type SloStatus,
  sloHistorySchema,
  sloStatusSchema,
} from '../../src/evaluator/report.ts';
import { formatDuration, parseDuration } from '../../src/policy/duration.ts';
import { loadSpecs } from '../../src/spec/load.ts';
import { startBurnbook } from '../support/burnbook.ts';
import {
  counter,
  gauge,
  HOUR,
  historyToOpenMetrics,
  MINUTE,
  type SeriesHistory,
  type Timeline,
} from '../support/history.ts';
import { ruleFiles } from '../support/outputs.ts';
import type { RunningServer } from '../support/process.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { firings } from '../support/promtool-scenario.ts';
import {
  checkRules,
  type RuleGroup,
  type RunningVictoriaMetrics,
  replayRules,
  startVictoriaMetrics,
} from '../support/victoriametrics.ts';
import { until } from '../support/wait.ts';

/**
 * The example SLOs' generated rules on VictoriaMetrics: vmalert replays them (`-replay`) over six hours of
 * synthetic series imported through VictoriaMetrics's API, and Prometheus's own rule engine (promtool test
 * rules, which evaluates rules as the Prometheus server does) runs them on the same samples. The same alerts
 * fire in both, each starting and ending within one evaluation interval plus its `for` of the other's.
 *
 * Six hours at one sample a minute:
 * - checkout/availability: a total outage from 2h to 2h20 (1h, 6h and, with six hours of history, the 3d
 *   window all pass their thresholds; fast and slow fire, very-slow settles: the fast tier has paged for this
 *   outage, and the burn is over when very-slow's windows would fire — issue 16's one incident, one page);
 * - checkout/latency: 2% of requests slower than 300 ms throughout: a 2x burn of its 1% budget (very-slow);
 * - search/tenant-availability: 2% errors for tenant acme from 1h to 5h (20x its 0.1% budget: every tier),
 *   none for globex;
 * - ledger: healthy (its alerts must stay silent).
 *
 * The samples end a minute ago, so burnbook can then read them live: `status` and `serve --prometheus-url`
 * pointed at VictoriaMetrics's Prometheus API (which holds the replayed recording rules too) say what they
 * say when pointed at a Prometheus that holds the same raw samples.
 */

const MINUTES = 6 * 60;
const INTERVAL_MS = MINUTE;
const START = Math.floor(Date.now() / MINUTE) * MINUTE - (MINUTES + 1) * MINUTE;
const timeline: Timeline = { start: START, end: START + MINUTES * MINUTE, stepMs: MINUTE };
const during = (from: number, to: number) => (t: number) => t > START + from && t <= START + to;
const outage = during(2 * HOUR, 2 * HOUR + 20 * MINUTE);
const acmeBurn = during(HOUR, 5 * HOUR);

function series(): SeriesHistory[] {
  const s = (
    name: string,
    labels: Record<string, string>,
    perMinute: (t: number) => number,
  ): SeriesHistory => ({
    name,
    labels,
    points: counter(timeline, perMinute),
  });
  return [
    s('http_requests_total', { job: 'checkout', code: '200' }, (t) => (outage(t) ? 0 : 600)),
    s('http_requests_total', { job: 'checkout', code: '500' }, (t) => (outage(t) ? 600 : 0)),
    s('http_request_duration_seconds_count', { job: 'checkout' }, () => 600),
    s('http_request_duration_seconds_bucket', { job: 'checkout', le: '0.3' }, () => 588),
    s('http_request_duration_seconds_bucket', { job: 'checkout', le: '+Inf' }, () => 600),
    s('ledger_writes_total', { job: 'ledger' }, () => 100),
    s('ledger_write_failures_total', { job: 'ledger' }, () => 0),
    s('ledger_settlement_duration_seconds_count', { job: 'ledger' }, () => 10),
    s('ledger_settlement_duration_seconds_bucket', { job: 'ledger', le: '600' }, () => 10),
    s('ledger_settlement_duration_seconds_bucket', { job: 'ledger', le: '+Inf' }, () => 10),
    ...['acme', 'globex'].flatMap((tenant) => {
      const burning = (t: number) => tenant === 'acme' && acmeBurn(t);
      return [
        s('search_requests_total', { job: 'search', tenant, status: 'ok' }, (t) => (burning(t) ? 294 : 300)),
        s('search_requests_total', { job: 'search', tenant, status: 'error' }, (t) => (burning(t) ? 6 : 0)),
      ];
    }),
  ];
}

const { slos } = loadSpecs(['slos']);

/**
 * burnbook's two start records, as a Prometheus that ran the rules from the first sample holds them: the
 * minute of the first 5m rate, for the recordings and for the traffic (the SLIs are as young as the rules,
 * as in promtool). vmalert -replay evaluates each rule over a whole range in one query, so a rule cannot
 * read what it recorded a step before, and these records, kept from their own last sample, would say "now"
 * at every step. Imported beside the samples, they stand for the rules having run live.
 */
function startRecords(): SeriesHistory[] {
  const first = START + MINUTE;
  // The examples' only groupBy label is search's tenant.
  const groupsOf = (by: readonly string[]) =>
    by.length ? ['acme', 'globex'].map((tenant) => ({ tenant })) : [{}];
  return slos.flatMap((slo) =>
    groupsOf(slo.groupBy).flatMap((group) =>
      [RECORDS.recordingsStart, RECORDS.trafficStart].map((name) => ({
        name,
        labels: { ...sloLabels(slo), ...group },
        points: gauge(timeline, (t) => (t >= first ? first / 1000 : undefined)),
      })),
    ),
  );
}
const groups: RuleGroup[] = ruleFiles(slos, 'http://burnbook.test').flatMap(
  (file) => (parse(file.content) as { groups: RuleGroup[] }).groups,
);
const alerts = groups.flatMap((g) =>
  g.rules.flatMap((r) => (r.alert ? [{ name: r.alert, for: String(r.for ?? '0s') }] : [])),
);

/** One alert's firing minutes, keyed by its labels as promtool prints them: `alertname="x", slo="y"`. */
type Firing = Map<string, number[]>;

const labelKey = (labels: Record<string, string>) =>
  Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`)
    .join(', ');

/** Runs of consecutive minutes: [first, last]. */
function episodes(minutes: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const m of [...minutes].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && m === last[1] + 1) last[1] = m;
    else runs.push([m, m]);
  }
  return runs;
}

let vm: RunningVictoriaMetrics;
let prometheus: RunningPrometheus;
let dir: string;
let vmalertFiring: Firing;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'burnbook-e2e-vm-'));
  [vm, prometheus] = await Promise.all([
    startVictoriaMetrics(['-search.disableCache']),
    startPrometheus({ backfillOpenMetrics: historyToOpenMetrics(series()) }),
  ]);
  await vm.importSeries([...series(), ...startRecords()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([vm?.stop(), prometheus?.stop()]);
});

const statusesSchema = z.array(sloStatusSchema);

/** `burnbook status --json` on the example SLOs against a Prometheus API. */
async function status(url: string): Promise<SloStatus[]> {
  const run = await promisify(execFile)(
    process.execPath,
    [resolve('bin/burnbook.js'), 'status', 'slos/', '--prometheus-url', url, '--json'],
    { encoding: 'utf8' },
  );
  return statusesSchema.parse(JSON.parse(run.stdout));
}

/** Which tiers burn, per SLO and group: `checkout/availability {} very-slow`. */
const burning = (statuses: readonly SloStatus[]) =>
  statuses
    .flatMap((s) => s.tiers.filter((t) => t.burning).map((t) => `${s.service}/${s.slo} ${t.tier}`))
    .sort();

async function firingInVictoriaMetrics(): Promise<Firing> {
  const url = new URL(`${vm.url}/api/v1/export`);
  url.searchParams.set('match[]', 'ALERTS{alertstate="firing"}');
  const lines = (await (await fetch(url)).text()).split('\n').filter(Boolean);
  const firing: Firing = new Map();
  for (const line of lines) {
    const { metric, timestamps } = JSON.parse(line) as {
      metric: Record<string, string>;
      timestamps: number[];
    };
    const { __name__: _name, alertstate: _state, alertgroup: _group, ...labels } = metric;
    const key = labelKey(labels);
    firing.set(key, [...(firing.get(key) ?? []), ...timestamps.map((t) => Math.round((t - START) / MINUTE))]);
  }
  return firing;
}

function firingInPrometheus(): Firing {
  const ruleFile = join(dir, 'all.yaml');
  writeFileSync(ruleFile, stringify({ groups }, { lineWidth: 0 }));
  const input = series().map((s) => ({
    series: `${s.name}{${Object.entries(s.labels ?? {})
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`,
    values: s.points.map(([, v]) => v).join(' '),
  }));
  const firing: Firing = new Map();
  const minutes = Array.from({ length: MINUTES + 1 }, (_, m) => m);
  for (const f of firings({ ruleFile, series: input, alertnames: alerts.map((a) => a.name), minutes })) {
    for (const labels of f.alerts) firing.set(labels, [...(firing.get(labels) ?? []), f.minute]);
  }
  return firing;
}

describe('status on VictoriaMetrics, raw samples only', () => {
  it('reads the same burn as from Prometheus holding the same samples (MetricsQL and PromQL on the raw SLI)', async () => {
    const [fromVm, fromPrometheus] = await Promise.all([status(vm.url), status(prometheus.url)]);
    // Six hours after the scenario began: only the slow burns are still inside both of a tier's windows.
    expect(burning(fromVm)).toEqual([
      'checkout/availability very-slow',
      'checkout/latency very-slow',
      'search/tenant-availability very-slow',
    ]);
    expect(burning(fromPrometheus)).toEqual(burning(fromVm));
    for (const ours of fromVm) {
      const theirs = fromPrometheus.find(
        (s) => s.service === ours.service && s.slo === ours.slo,
      ) as SloStatus;
      expect(ours.labels, `${ours.slo} group`).toEqual(theirs.labels);
      for (const [window, rate] of Object.entries(theirs.burnRates)) {
        // Windows up to 6h, and the period: the samples hold six hours, so longer windows read the same.
        expect(ours.burnRates[window], `${ours.slo} ${window}`).toBeCloseTo(rate as number, 1);
      }
      expect(ours.budgetRemaining, ours.slo).toBeCloseTo(theirs.budgetRemaining as number, 1);
    }
    const availability = fromVm.find((s) => s.slo === 'availability') as SloStatus;
    // 20 minutes of total outage in six hours, over a 0.5% budget.
    expect(availability.burnRates['6h']).toBeCloseTo(20 / 360 / 0.005, 0);
  });
});

describe('the example SLOs on VictoriaMetrics and vmalert', () => {
  beforeAll(async () => {
    await replayRules({ groups, vm, from: new Date(START), to: new Date(timeline.end), dir });
    vmalertFiring = await firingInVictoriaMetrics();
  }, 300_000);

  it('vmalert loads the generated rule files unchanged: MetricsQL parses every expression and template', async () => {
    const files = ruleFiles(slos, 'http://burnbook.test').map((file) => {
      const path = join(dir, file.path.replaceAll('/', '-'));
      writeFileSync(path, file.content);
      return path;
    });
    await expect(checkRules(files)).resolves.toBeUndefined();
    // And refuses what is not MetricsQL, so the check above means something.
    const broken = join(dir, 'broken.yaml');
    writeFileSync(
      broken,
      stringify({ groups: [{ name: 'x', rules: [{ record: 'r', expr: 'sum(rate(x[5m])' }] }] }),
    );
    await expect(checkRules([broken])).rejects.toThrow(/vmalert refused the rules/);
  });

  it('vmalert fires what the scenario burns, and nothing for the healthy SLOs', () => {
    const names = new Set([...vmalertFiring.keys()].map((key) => /alertname="([^"]+)"/.exec(key)?.[1]));
    expect([...names].sort()).toEqual([
      'availability-fast-burn',
      'availability-slow-burn',
      'latency-very-slow-burn',
      'tenant-availability-fast-burn',
      'tenant-availability-slow-burn',
      'tenant-availability-very-slow-burn',
    ]);
    for (const key of vmalertFiring.keys()) expect(key).not.toContain('globex');
  });

  it('the same alerts fire as in Prometheus on the same data, within one evaluation interval plus `for`', () => {
    const prometheusFiring = firingInPrometheus();
    expect([...prometheusFiring.keys()].sort()).toEqual([...vmalertFiring.keys()].sort());
    const report: string[] = [];
    for (const [key, minutes] of vmalertFiring) {
      const name = /alertname="([^"]+)"/.exec(key)?.[1];
      const forMs = parseDuration(alerts.find((a) => a.name === name)?.for ?? '0s') ?? 0;
      const tolerance = (INTERVAL_MS + forMs) / MINUTE;
      const ours = episodes(minutes);
      const theirs = episodes(prometheusFiring.get(key) ?? []);
      report.push(
        `${name}: vmalert ${JSON.stringify(ours)}, Prometheus ${JSON.stringify(theirs)} (± ${tolerance}m)`,
      );
      expect(ours.length, key).toBe(theirs.length);
      ours.forEach(([start, end], i) => {
        const [promStart, promEnd] = theirs[i] as [number, number];
        expect(Math.abs(start - promStart), `${key} starts`).toBeLessThanOrEqual(tolerance);
        expect(Math.abs(end - promEnd), `${key} ends`).toBeLessThanOrEqual(tolerance);
      });
    }
    console.log(`firing minutes, ${formatDuration(INTERVAL_MS)} evaluations:\n${report.join('\n')}`);
  });
});

describe('burnbook serving from VictoriaMetrics, with the replayed recording rules', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startBurnbook({
      dataDir: join(dir, 'data'),
      args: ['--prometheus-url', vm.url, '--evaluation-interval', '2s'],
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  const get = async (path: string) => {
    const response = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status, path).toBe(200);
    return response;
  };

  it('the server evaluates against VictoriaMetrics: the API, the overview, the SLO page and its charts', async () => {
    const report = await until(
      'a first evaluation',
      async () => evaluatorReportSchema.parse(await (await get('/api/v1/slos')).json()),
      (r) => r.state !== 'starting',
      30_000,
    );
    expect(report.state).toBe('ok');
    expect(report.error).toBeNull();
    expect(burning(report.slos)).toEqual(burning(await status(vm.url)));
    const pending = report.slos.flatMap((s) => s.tiers.filter((t) => t.state === 'pending'));
    expect(pending.map((t) => t.alertname).sort()).toEqual([
      'availability-very-slow-burn',
      'latency-very-slow-burn',
      'tenant-availability-very-slow-burn',
    ]);

    const overview = await (await get('/')).text();
    expect(overview).not.toMatch(/unreachable|did not answer|no data/i);
    const page = await (await get('/slos/checkout/availability')).text();
    expect(page).toContain('<h2 id="now">Now</h2>');
    expect(page).toMatch(/<tr data-tier="very-slow">[\s\S]*?class="state (pending|firing)"/);
    expect(page).toMatch(/<tr data-tier="fast">[\s\S]*?class="state quiet"/);

    const history = sloHistorySchema.parse(
      await (await get('/api/v1/slos/checkout/availability/history?range=6h')).json(),
    );
    expect(history.errors).toEqual([]);
    // The outage is in the chart: at its height the 5m window burns 1 / 0.005 = 200 times the budget.
    const fiveMinutes = (history.burnRates['5m'] ?? []).filter((rate): rate is number => rate !== null);
    expect(Math.max(...fiveMinutes)).toBeCloseTo(200, -1);
    // The ALERTS vmalert wrote back shade the outage on the fast tier's chart, and the first breakdown
    // label splits its requests, through VictoriaMetrics's Prometheus API as through Prometheus's.
    const fastFiring = history.alertPeriods.filter((p) => p.tier === 'fast' && p.state === 'firing');
    expect(fastFiring).toHaveLength(1);
    expect(fastFiring[0]?.start).toBeGreaterThan((START + 2 * HOUR) / 1000);
    expect(fastFiring[0]?.end).toBeLessThan((START + 2 * HOUR + 30 * MINUTE) / 1000);
    expect(history.breakdown?.label).toBe('route');
    expect(history.breakdown?.requests.length).toBeGreaterThan(0);
  });
});
