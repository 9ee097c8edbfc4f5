import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecText } from '../src/spec/load.ts';
import { burnbook } from './support/cli.ts';
import { mutate } from './support/mutate.ts';
import { alertmanagerFile, grafanaFiles, promtoolTestFiles, ruleFiles } from './support/outputs.ts';
import { chooser, random } from './support/random.ts';
import { requireTool } from './support/tools.ts';

/**
 * Thousands of mutated specs thrown at what `validate` and `generate` run: no input may end in a stack
 * trace or a hang, and whatever burnbook's own checks accept, promtool must accept too (so validate's
 * verdict never depends on promtool catching what burnbook missed). A sample also goes through the
 * real CLI, where `validate` and `generate` must agree.
 */

const BASES = [
  readFileSync('slos/checkout.yaml', 'utf8'),
  readFileSync('slos/search.yaml', 'utf8'),
  readFileSync('slos/ledger.yaml', 'utf8'),
  `apiVersion: burnbook/v1
service: api
labels: {team: "x"}
slos:
  - name: lat
    objective: 99.5
    sli: {latency: {histogram: 'h_seconds{job="a"}', threshold: 0.268435456}}
    groupBy: [tenant]
    alerting: {annotations: {note: 'Tenant {{ $labels.tenant }} at {{ $value | humanizePercentage }}'}}
  - name: q
    objective: 99.9
    sli: {query: {errors: 'sum by (tenant) (rate(e_total[{{window}}]))', total: 'sum by (tenant) (rate(t_total[{{window}}]))'}}
    groupBy: [tenant]
`,
];

describe('spec fuzzer', () => {
  it('3,000 mutated specs: 0 stack traces, 0 hangs, and promtool accepts all that burnbook accepts', () => {
    const next = random(2024);
    const { pick } = chooser(next);
    const counts = { specs: 0, valid: 0, invalid: 0, traces: 0, slowest: 0 };
    const traces: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-fuzz-'));
    const ruleFileNames: string[] = [];
    for (let n = 0; n < 3000; n++) {
      const text = mutate(pick(BASES), next);
      counts.specs++;
      const started = performance.now();
      try {
        const { slos, errors } = loadSpecText(text, `fuzz-${n}.yaml`);
        if (errors.length || !slos.length) counts.invalid++;
        else {
          counts.valid++;
          for (const f of ruleFiles(slos)) {
            const name = `${n}-${f.path.replace('/', '_')}`;
            writeFileSync(join(dir, name), f.content);
            ruleFileNames.push(name);
          }
          promtoolTestFiles(slos);
          alertmanagerFile(slos);
          grafanaFiles(slos);
        }
      } catch (error) {
        counts.traces++;
        traces.push(`${(error as Error).stack?.split('\n').slice(0, 3).join('\n')}\n--- input:\n${text}`);
      }
      counts.slowest = Math.max(counts.slowest, performance.now() - started);
    }
    // promtool on every rule file burnbook's own checks let through, 200 files per run.
    const rejected: string[] = [];
    for (let i = 0; i < ruleFileNames.length; i += 200) {
      const chunk = ruleFileNames.slice(i, i + 200);
      const run = spawnSync(requireTool('promtool'), ['check', 'rules', ...chunk], {
        cwd: dir,
        encoding: 'utf8',
      });
      if (run.status !== 0)
        rejected.push(
          `${run.stdout}${run.stderr}`
            .split('\n')
            .filter((l) => /FAILED|error/.test(l))
            .join('\n'),
        );
    }
    console.log(
      `spec fuzzer: ${counts.specs} specs, ${counts.valid} valid, ${counts.invalid} invalid, ${counts.traces} stack traces, ` +
        `slowest ${counts.slowest.toFixed(0)} ms, ${ruleFileNames.length} rule files checked by promtool, ${rejected.length} promtool rejections`,
    );
    expect(traces.map((t) => t.split('--- input')[0])).toEqual([]);
    expect(rejected).toEqual([]);
    expect(counts.slowest).toBeLessThan(2000);
    expect(counts.valid).toBeGreaterThan(100);
    expect(counts.invalid).toBeGreaterThan(100);
  }, 600_000);

  it('seeded periods, fors and annotation and label names: burnbook refuses them at their line or promtool accepts the rules', () => {
    // Two field faults of one kind: a value burnbook let through that promtool refuses (a period
    // whose derived windows leave Prometheus's duration range; an annotation name with a dot).
    const next = random(1414);
    const { int, pick } = chooser(next);
    const units = ['ms', 's', 'm', 'h', 'd', 'w', 'y'];
    // Mostly values burnbook should accept, so promtool sees many files; the rest random.
    const durationText = () =>
      next() < 0.6
        ? pick(['1d', '7d', '30d', '90d', '52w', '365d', '1y', '2m', '1h'])
        : `${pick([1, 7, 30, 366, 400, 9999, 106_751, 12345678901])}${pick(units)}`;
    const chars = ['a', 'Z', '_', '0', '9', '.', '-', ' ', 'é', ':', '/'];
    const nameText = () =>
      next() < 0.7
        ? pick(['note', 'route_note', '_x', 'Z9'])
        : Array.from({ length: int(6) + 1 }, () => pick(chars)).join('');
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-fuzz-names-'));
    const written: string[] = [];
    let refused = 0;
    for (let n = 0; n < 300; n++) {
      const period = durationText();
      const forText = durationText();
      const annotation = nameText();
      const label = nameText();
      const text = `apiVersion: burnbook/v1
service: api
slos:
  - name: q
    objective: 99.9
    period: ${period}
    sli: {query: {errors: 'sum(rate(e_total[{{window}}]))', total: 'sum(rate(t_total[{{window}}]))'}}
    alerting:
      annotations: {${JSON.stringify(annotation)}: x}
      labels: {${JSON.stringify(label)}: y}
      tiers: [fast, {name: slow, for: ${forText}}]
`;
      const { slos, errors } = loadSpecText(text, `names-${n}.yaml`);
      if (errors.length) {
        refused++;
        // Every error points at one of the lines generated: period 6, annotations 9, labels 10, tiers 11.
        for (const e of errors) expect([6, 9, 10, 11], `${e.message}\n${text}`).toContain(e.line);
        continue;
      }
      for (const f of ruleFiles(slos)) {
        const name = `${n}-${f.path.replace('/', '_')}`;
        writeFileSync(join(dir, name), f.content);
        written.push(name);
      }
    }
    const run = spawnSync(requireTool('promtool'), ['check', 'rules', ...written], {
      cwd: dir,
      encoding: 'utf8',
    });
    rmSync(dir, { recursive: true, force: true });
    expect(`${run.stdout}${run.stderr}`.split('\n').filter((l) => /FAILED|error/.test(l))).toEqual([]);
    expect(written.length).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  }, 300_000);

  it('through the real CLI, validate and generate agree on a sample of mutated specs', () => {
    const next = random(77);
    const { pick } = chooser(next);
    let agreed = 0;
    for (let n = 0; n < 16; n++) {
      const dir = mkdtempSync(join(tmpdir(), 'burnbook-fuzz-cli-'));
      writeFileSync(join(dir, 'spec.yaml'), mutate(pick(BASES), next));
      const validate = burnbook(['validate', 'spec.yaml'], {}, dir);
      const generate = burnbook(['generate', 'spec.yaml', '--out', 'out'], {}, dir);
      for (const run of [validate, generate]) {
        expect(run.all).not.toMatch(/\n\s+at /);
        expect([0, 1]).toContain(run.code);
      }
      expect(generate.code, `${validate.all}\n${generate.all}`).toBe(validate.code);
      agreed++;
    }
    expect(agreed).toBe(16);
  }, 600_000);
});
