import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backtest, backtest } from '../../src/backtest/run.ts';
import { timeToDetectMs } from '../../src/policy/burn.ts';
import { createPrometheusClient } from '../../src/prometheus/client.ts';
import { counter, DAY, HOUR, historyToOpenMetrics, MINUTE, type Timeline } from '../support/history.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { slosFrom } from '../support/promtool-scenario.ts';

/**
 * A 30-minute total outage twenty hours ago, replayed over two days of history: every tier of the
 * outage SLO fires exactly once, when and for as long as the math says; a healthy SLO never fires.
 */

const SPEC = `
apiVersion: burnbook/v1
service: bt
slos:
  - name: outage
    objective: 99.9
    sli: {ratio: {errors: 'outage_requests_total{code="500"}', total: outage_requests_total}}
  - name: calm
    objective: 99.9
    sli: {ratio: {errors: 'calm_requests_total{code="500"}', total: calm_requests_total}}
`;
const slos = slosFrom(SPEC);
const [outageSlo] = slos;
if (!outageSlo) throw new Error('spec did not load');
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const timeline: Timeline = { start: NOW - 5 * DAY, end: NOW, stepMs: MINUTE };
const OUTAGE_START = NOW - 20 * HOUR;
const OUTAGE_MS = 30 * MINUTE;
const inOutage = (t: number) => t > OUTAGE_START && t <= OUTAGE_START + OUTAGE_MS;

let prometheus: RunningPrometheus;
let result: Backtest;

beforeAll(async () => {
  const errors = (t: number) => (inOutage(t) ? 1000 : 0);
  prometheus = await startPrometheus({
    backfillOpenMetrics: historyToOpenMetrics([
      {
        name: 'outage_requests_total',
        labels: { code: '200' },
        points: counter(timeline, (t) => 1000 - errors(t)),
      },
      { name: 'outage_requests_total', labels: { code: '500' }, points: counter(timeline, errors) },
      { name: 'calm_requests_total', labels: { code: '200' }, points: counter(timeline, () => 1000) },
    ]),
  });
  const client = createPrometheusClient({ url: prometheus.url, timeoutMs: 30_000 });
  result = await backtest(client, slos, { days: 2, stepMs: MINUTE, now: NOW });
});

afterAll(async () => {
  await prometheus?.stop();
});

describe('backtest (real Prometheus, backfilled history)', () => {
  it('reads the history in few range queries, from the raw SLI when no rules ran', () => {
    // A probe, then 2 days + the 3d window at 1m steps: 7,201 points, one chunk.
    expect(result.queries).toBe(2);
    expect(result.slos.map((s) => s.source)).toEqual(['raw', 'raw']);
  });

  it('every tier of the outage SLO fires once, after the outage starts, with the delay the math allows', () => {
    const outage = result.slos[0];
    for (const [i, tier] of outageSlo.alerting.tiers.entries()) {
      const replay = outage?.tiers[i];
      expect(replay?.fired, tier.name).toBe(1);
      const [episode] = replay?.episodes ?? [];
      if (!episode) throw new Error(`no episode for ${tier.name}`);
      // The long window needs timeToDetect to cross the threshold, the 5m rates lag up to 5m
      // (plus a step), and `for` must pass.
      const least = timeToDetectMs(tier, outageSlo.periodMs, outageSlo.objective, 1) + tier.forMs;
      const most = least + 5 * MINUTE + 2 * MINUTE;
      const fired = Date.parse(episode.firedAt);
      expect(fired - OUTAGE_START, tier.name).toBeGreaterThanOrEqual(least);
      expect(fired - OUTAGE_START, tier.name).toBeLessThanOrEqual(most);
      // The onset is when the short window first saw errors: within a step or two of the outage.
      expect(Date.parse(episode.onsetAt) - OUTAGE_START, tier.name).toBeGreaterThan(0);
      expect(Date.parse(episode.onsetAt) - OUTAGE_START, tier.name).toBeLessThanOrEqual(2 * MINUTE);
      expect(episode.detectionDelayMs).toBe(fired - Date.parse(episode.onsetAt));
      expect(episode.onsetBeforeRange).toBe(false);
      // It resolves once the short window no longer sees the outage (its 5m rates lag up to 5m).
      const resolved = Date.parse(episode.resolvedAt ?? '');
      const outageEnd = OUTAGE_START + OUTAGE_MS;
      expect(resolved - outageEnd, tier.name).toBeGreaterThanOrEqual(Math.min(tier.shortMs, 5 * MINUTE));
      expect(resolved - outageEnd, tier.name).toBeLessThanOrEqual(tier.shortMs + 5 * MINUTE + 2 * MINUTE);
      expect(replay?.firingMs).toBe(resolved - fired);
      // A total outage burns at 1 ÷ budget: 1000×.
      expect(episode.peakBurnRate).toBeGreaterThan(0);
      expect(episode.peakBurnRate).toBeLessThanOrEqual(1000 + 1e-6);
    }
    // 30 of 2880 minutes failed.
    expect(outage?.errorRatio).toBeCloseTo(30 / 2880, 3);
  });

  it('a healthy SLO never fires', () => {
    expect(result.slos[1]?.tiers.map((t) => t.fired)).toEqual([0, 0, 0]);
    expect(result.slos[1]?.errorRatio).toBe(0);
  });

  it('backtest prints a table per SLO and tier, progress on stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-backtest-'));
    writeFileSync(join(dir, 'bt.yaml'), SPEC);
    const run = spawnSync(
      process.execPath,
      [
        resolve('bin/burnbook.js'),
        'backtest',
        join(dir, 'bt.yaml'),
        '--days',
        '2',
        '--prometheus-url',
        prometheus.url,
      ],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/bt\/outage\s+99\.9%/);
    expect(run.stdout).toMatch(/ {2}fast \(page\)\s+> 0\.0144\s+1\s+/);
    expect(run.stderr).toContain('query 1/1');
  });
});
