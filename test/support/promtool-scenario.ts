import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadSpecText } from '../../src/spec/load.ts';
import type { Slo } from '../../src/spec/model.ts';
import { alertOptions, ruleFiles } from './outputs.ts';
import { requireTool } from './tools.ts';

export const OPTIONS = alertOptions();

/** SLOs from spec text, failing the test on any spec error. */
export function slosFrom(yaml: string): Slo[] {
  const { slos, errors } = loadSpecText(yaml, 'test.yaml');
  if (errors.length)
    throw new Error(errors.map((e) => `${e.line}:${e.col} ${e.path}: ${e.message}`).join('\n'));
  return slos;
}

/** The SLO called `name` among `slos`; a test that names a missing one fails here, saying which. */
export function sloNamed(slos: readonly Slo[], name: string): Slo {
  const slo = slos.find((s) => s.name === name);
  if (!slo) throw new Error(`no SLO ${name}`);
  return slo;
}

/** Writes the generated rule files into a fresh directory; returns the rule file paths by service. */
export function writeRules(slos: Slo[]): { dir: string; ruleFile: (service: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'burnbook-rules-'));
  for (const f of ruleFiles(slos)) writeFileSync(join(dir, f.path), f.content);
  return { dir, ruleFile: (service) => join(dir, `${service}.yaml`) };
}

/** Runs a promtool `promql_expr_test`; returns promtool's output when the expectation fails. */
export function exprMismatch(opts: {
  ruleFile: string;
  series: Array<{ series: string; values: string }>;
  expr: string;
  minute: number;
  samples: Array<{ labels: string; value: number }>;
}): string | undefined {
  const promtool = requireTool('promtool');
  const file = join(mkdtempSync(join(tmpdir(), 'burnbook-expr-')), 'expr.test.yaml');
  const test = {
    rule_files: [opts.ruleFile],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: opts.series,
        promql_expr_test: [{ expr: opts.expr, eval_time: `${opts.minute}m`, exp_samples: opts.samples }],
      },
    ],
  };
  writeFileSync(file, stringify(test, { lineWidth: 0 }));
  const run = spawnSync(promtool, ['test', 'rules', file], { encoding: 'utf8', timeout: 300_000 });
  return run.status === 0 ? undefined : `${run.stdout}${run.stderr}`;
}

export interface Firing {
  alertname: string;
  minute: number;
  /** Label sets of the alerts firing then, as promtool prints them. */
  alerts: string[];
}

/**
 * When do alerts fire on this input? Asks promtool to expect silence at every given
 * minute; each failed expectation is a moment something fired, with what fired.
 */
export function firings(opts: {
  ruleFile: string;
  series: Array<{ series: string; values: string }>;
  alertnames: string[];
  minutes: number[];
  evaluationInterval?: string;
}): Firing[] {
  const promtool = requireTool('promtool');
  const dir = mkdtempSync(join(tmpdir(), 'burnbook-scenario-'));
  const file = join(dir, 'scenario.test.yaml');
  writeFileSync(
    file,
    stringify(
      {
        rule_files: [opts.ruleFile],
        evaluation_interval: opts.evaluationInterval ?? '1m',
        tests: [
          {
            interval: '1m',
            input_series: opts.series,
            alert_rule_test: opts.minutes.flatMap((m) =>
              opts.alertnames.map((alertname) => ({ eval_time: `${m}m`, alertname, exp_alerts: [] })),
            ),
          },
        ],
      },
      { lineWidth: 0 },
    ),
  );
  // Every firing minute is a failed expectation in the output: many outages over hours print megabytes, and a
  // cut-off output (spawnSync's default 1 MiB) would read as alerts that stopped firing.
  const run = spawnSync(promtool, ['test', 'rules', file], {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  const output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0 && !output.includes('FAILED')) throw new Error(`promtool failed:\n${output}`);
  return output
    .split(/alertname: /)
    .slice(1)
    .map((chunk) => {
      const [, alertname = '', time = ''] = /^(\S+), time: (\S+),/.exec(chunk) ?? [];
      const got = chunk.slice(chunk.indexOf('got:'));
      return {
        alertname,
        minute: toMinutes(time),
        alerts: [...got.matchAll(/Labels:\{([^}]*)\}/g)].map((m) => m[1] ?? ''),
      };
    })
    .filter((f) => f.alerts.length > 0);
}

function toMinutes(duration: string): number {
  let minutes = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)([dhms])/g)) {
    minutes += Number(n) * { d: 1440, h: 60, m: 1, s: 1 / 60 }[unit as 'd' | 'h' | 'm' | 's'];
  }
  return minutes;
}

/** promtool's expanding notation for a counter that grows by `perMinute[i]` for `minutes[i]` minutes. */
export function counter(phases: Array<[minutes: number, perMinute: number]>): string {
  let value = 0;
  return phases
    .map(([minutes, step], i) => {
      if (i > 0) value += step;
      const segment = `${value}+${step}x${minutes - 1}`;
      value += step * (minutes - 1);
      return segment;
    })
    .join(' ');
}

export function range(from: number, to: number, step = 1): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}
