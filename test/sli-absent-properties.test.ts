import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ruleFiles } from './support/outputs.ts';
import { slosFrom } from './support/promtool-scenario.ts';
import { chooser, random } from './support/random.ts';
import { requireTool } from './support/tools.ts';

/**
 * The kind of fault behind the `missing-bucket` case, generated: SLIs whose series exist, do not exist
 * yet, or never will. Seeded, so a failure reproduces. The rule every one must obey, checked with the
 * real promtool: an SLI that cannot be computed (no total; a latency threshold that is no bucket) has no
 * error ratio at all and its absent-SLI alert fires; an SLI that can be computed reads its true ratio (0
 * while the errors series has not appeared) and its absent-SLI alert stays quiet.
 */

// Bucket layouts as clients ship them: Prometheus's defaults, Micrometer's nanosecond steps, round decimals.
const LAYOUTS = [
  ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10'],
  ['0.001048576', '0.002796202', '0.004194304', '0.016777216', '0.067108864', '0.268435456', '1.073741824'],
  ['0.1', '0.2', '0.3', '0.4', '0.5', '0.75', '1', '2', '5'],
  ['1', '2', '4', '8', '16', '32', '64'],
];
const OBJECTIVES = [95, 99, 99.5, 99.9];
// Events per minute: a power of two, so every error ratio below is exact in binary.
const PER_MINUTE = 64;
const EVAL_MINUTES = 60;

interface Case {
  spec: string;
  series: Array<{ series: string; values: string }>;
  /** The 5m error ratio, or undefined when the SLI cannot be computed. */
  ratio: number | undefined;
}

function counter(perMinute: number): string {
  return `0+${perMinute}x${EVAL_MINUTES + 5}`;
}

function latencyCase(i: number, int: (n: number) => number, pick: <T>(x: readonly T[]) => T): Case {
  const layout = pick(LAYOUTS);
  const metric = `h${i}_seconds`;
  const selector = `${metric}{job="j${i}"}`;
  // A boundary the histogram has, or a value between two that it has not (the case: 0.3 among 0.25, 0.5).
  const at = int(layout.length - 1);
  const exists = int(2) === 0;
  const low = Number(layout[at]);
  const high = Number(layout[at + 1]);
  const threshold = exists ? (layout[at] as string) : String(Number(((low + high) / 2).toPrecision(6)));
  // Each minute some events are fast (in the lowest bucket) and the rest slower than every boundary.
  const slow = int(PER_MINUTE + 1);
  const series = [
    { series: `${metric}_count{job="j${i}"}`, values: counter(PER_MINUTE) },
    ...layout.map((le) => ({
      series: `${metric}_bucket{job="j${i}", le="${le}"}`,
      values: counter(PER_MINUTE - slow),
    })),
    { series: `${metric}_bucket{job="j${i}", le="+Inf"}`, values: counter(PER_MINUTE) },
  ];
  return {
    spec: `{name: s${i}, objective: ${pick(OBJECTIVES)}, sli: {latency: {histogram: '${selector}', threshold: ${threshold}}}, alerting: {tiers: [fast]}}`,
    series,
    ratio: exists ? slow / PER_MINUTE : undefined,
  };
}

function ratioCase(i: number, int: (n: number) => number, pick: <T>(x: readonly T[]) => T): Case {
  const metric = `r${i}_requests_total`;
  const grouped = int(2) === 0;
  const fate = pick(['errors', 'no-errors-yet', 'no-total'] as const);
  const groups = grouped ? ['a', 'b'] : [undefined];
  const labels = (group: string | undefined, code: string) =>
    `{job="j${i}"${group ? `, tenant="${group}"` : ''}, code="${code}"}`;
  const bad = int(PER_MINUTE + 1);
  // No total: errors and total are separate counters, and the total one was renamed by an exporter upgrade,
  // so the spec's total selector matches nothing while its errors still count.
  const errorsMetric = fate === 'no-total' ? `r${i}_failures_total` : metric;
  const series = groups.flatMap((g) => [
    {
      series: `${fate === 'no-total' ? `${metric}_renamed` : metric}${labels(g, '200')}`,
      values: counter(PER_MINUTE - bad),
    },
    ...(fate === 'no-errors-yet'
      ? []
      : [{ series: `${errorsMetric}${labels(g, '500')}`, values: counter(bad) }]),
  ]);
  const errors = `${errorsMetric}{job="j${i}",code=~"5.."}`;
  return {
    spec: `{name: s${i}, objective: ${pick(OBJECTIVES)}, ${grouped ? 'groupBy: [tenant], ' : ''}sli: {ratio: {errors: '${errors}', total: '${metric}{job="j${i}"}'}}, alerting: {tiers: [fast]}}`,
    series,
    ratio: fate === 'no-total' ? undefined : fate === 'no-errors-yet' ? 0 : bad / PER_MINUTE,
  };
}

describe('absent SLIs: never a perfect score from a series that does not exist', () => {
  it('80 generated SLIs against promtool: no ratio and an absent alert exactly when the SLI cannot be computed', () => {
    const { int, pick } = chooser(random(13));
    const cases = Array.from({ length: 80 }, (_, i) =>
      i % 2 === 0 ? latencyCase(i, int, pick) : ratioCase(i, int, pick),
    );
    const slos = slosFrom(
      `apiVersion: burnbook/v1\nservice: gen\nslos:\n${cases.map((c) => `  - ${c.spec}`).join('\n')}\n`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-absent-'));
    for (const f of ruleFiles(slos)) writeFileSync(join(dir, f.path), f.content);
    const eval_time = `${EVAL_MINUTES}m`;
    const test = {
      rule_files: ['gen.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: cases.flatMap((c) => c.series),
          promql_expr_test: cases.flatMap((c, i) => [
            {
              expr: `round(max(slo:sli_error:ratio_rate5m{slo_service="gen", slo="s${i}"}) * 1000000)`,
              eval_time,
              exp_samples: c.ratio === undefined ? [] : [{ labels: '{}', value: c.ratio * 1_000_000 }],
            },
            {
              expr: `ALERTS{alertname="s${i}-sli-absent", alertstate="firing"}`,
              eval_time,
              exp_samples:
                c.ratio === undefined
                  ? [
                      {
                        labels: `ALERTS{alertname="s${i}-sli-absent", alertstate="firing", severity="ticket", slo="s${i}", slo_service="gen", slo_tier="sli-absent"}`,
                        value: 1,
                      },
                    ]
                  : [],
            },
          ]),
        },
      ],
    };
    // Every absent alert has fired by then: the longest default `for` here (95%, fast tier: 46m) is under 55m.
    for (const slo of slos) expect(slo.alerting.absent?.forMs).toBeLessThan((EVAL_MINUTES - 5) * 60_000);
    writeFileSync(join(dir, 'gen.test.yaml'), stringify(test, { lineWidth: 0 }));
    const run = spawnSync(requireTool('promtool'), ['test', 'rules', 'gen.test.yaml'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(`${run.stdout}${run.stderr}`).toContain('SUCCESS');
    const counts = {
      uncomputable: cases.filter((c) => c.ratio === undefined).length,
      zero: cases.filter((c) => c.ratio === 0).length,
    };
    // The generator must produce every kind, or the check above proves little.
    expect(counts.uncomputable).toBeGreaterThan(15);
    expect(counts.zero).toBeGreaterThan(5);
    console.log(
      `absent SLIs: ${cases.length} SLIs, ${counts.uncomputable} uncomputable, ${counts.zero} at 0`,
    );
  });
});
