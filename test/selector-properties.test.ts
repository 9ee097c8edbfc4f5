import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatSelector } from '../src/promql/build.ts';
import { leMatcher, leSpellings } from '../src/promql/le.ts';
import { parseSelector, regexMatches } from '../src/promql/parse.ts';
import { decodeString, quoteString } from '../src/promql/strings.ts';
import { loadSpecText } from '../src/spec/load.ts';
import type { Slo } from '../src/spec/model.ts';
import { ruleFiles } from './support/outputs.ts';
import { slosFrom } from './support/promtool-scenario.ts';
import { chooser, random } from './support/random.ts';
import { requireTool } from './support/tools.ts';

/**
 * Many generated instances of each kind of field fault, seeded so a failure reproduces, checked against
 * what a user needs: the rule matches the series the user meant, and what promtool accepts or rejects
 * is what burnbook accepts or rejects.
 */

function promtool(args: string[], cwd: string): { ok: boolean; output: string } {
  const run = spawnSync(requireTool('promtool'), args, { cwd, encoding: 'utf8', timeout: 300_000 });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

/** Bucket boundaries as clients produce them: Micrometer's nanosecond steps, round and odd decimals. */
function thresholds(count: number): string[] {
  const { int, pick } = chooser(random(12));
  const out = new Set<string>();
  while (out.size < count) {
    const kind = int(4);
    if (kind === 0)
      out.add(String(((int(1000) + 1) * 2 ** int(20)) / 1e9)); // Micrometer: nanos → seconds
    else if (kind === 1) out.add(String(pick([1, 2, 2.5, 5]) * 10 ** (int(13) - 6)));
    else if (kind === 2) out.add(`${(int(999_999) + 1) / 10 ** int(9)}`);
    else out.add(`${pick(['0.25', '0.5', '1', '0.1'])}${'0'.repeat(int(3))}`);
  }
  return [...out].filter((t) => Number(t) > 0);
}

describe('le: every spelling of the threshold matches, and no other bucket does', () => {
  it('with promtool: the rule reads the bucket whatever spelling the exporter used', () => {
    const { pick } = chooser(random(3));
    const values = thresholds(40);
    const specs = values.map(
      (t, i) => `  - name: l${i}
    objective: 99
    sli: {latency: {histogram: 'h${i}_seconds{job="x"}', threshold: ${t}}}
    alerting: {tiers: [fast]}`,
    );
    const slos = slosFrom(`apiVersion: burnbook/v1\nservice: buckets\nslos:\n${specs.join('\n')}\n`);
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-le-'));
    for (const f of ruleFiles(slos)) writeFileSync(join(dir, f.path), f.content);
    const series = values.flatMap((t, i) => {
      const spelling = pick(leSpellings(t));
      // A neighbouring bucket, spelled the Go way: counted by a rule that matched it, it would read 0.25.
      const decoy = String(Number(t) * 1.5);
      return [
        { series: `h${i}_seconds_count{job="x"}`, values: '0+100x30' },
        { series: `h${i}_seconds_bucket{job="x", le="${spelling}"}`, values: '0+50x30' },
        { series: `h${i}_seconds_bucket{job="x", le="${decoy}"}`, values: '0+75x30' },
        { series: `h${i}_seconds_bucket{job="x", le="+Inf"}`, values: '0+100x30' },
      ];
    });
    const test = {
      rule_files: ['buckets.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series,
          promql_expr_test: values.map((_, i) => ({
            expr: `slo:sli_error:ratio_rate5m{slo="l${i}"}`,
            eval_time: '20m',
            exp_samples: [
              { labels: `slo:sli_error:ratio_rate5m{slo="l${i}", slo_service="buckets"}`, value: 0.5 },
            ],
          })),
        },
      ],
    };
    writeFileSync(join(dir, 'le.test.yaml'), stringify(test, { lineWidth: 0 }));
    const run = promtool(['test', 'rules', 'le.test.yaml'], dir);
    expect(run.output).toContain('SUCCESS');
  });

  it('the matcher keeps the author digits and is exact: each spelling matches, nearby floats do not', () => {
    for (const t of thresholds(400)) {
      const m = leMatcher(t);
      const spellings = leSpellings(t);
      expect(spellings[0]).toBe(t);
      for (const s of spellings) {
        expect(Number(s.replace('E', 'e'))).toBe(Number(t));
        expect(m.op === '=' ? m.value === s : regexMatches(m.value, s), `${t}: ${s}`).toBe(true);
      }
      for (const other of [Number(t) * (1 + 1e-9), Number(t) / 10, Number(t) * 10]) {
        for (const s of leSpellings(String(other))) {
          expect(m.op === '=' ? m.value === s : regexMatches(m.value, s), `${t} vs ${s}`).toBe(false);
        }
      }
    }
  });
});

const PIECES = [
  'a',
  '.',
  ' ',
  'é',
  '😀',
  '\\n',
  '\\t',
  '\\\\',
  '\\"',
  "\\'",
  '\\a',
  '\\v',
  '\\x2e',
  '\\x4',
  '\\xe9',
  '\\xc3\\xa9',
  '\\056',
  '\\400',
  '\\18',
  '\\u00e9',
  '\\u12',
  '\\ud800',
  '\\U0001F600',
  '\\U00110000',
  '\\d',
  '\\.',
  '\\q',
];

describe('PromQL string escapes: burnbook decodes what promtool decodes, and rejects what it rejects', () => {
  it('random literals, against promtool check rules and promtool test rules', () => {
    const { int, pick } = chooser(random(5));
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-escapes-'));
    const literals = Array.from({ length: 300 }, () => {
      const quote = pick(['"', "'"]);
      const body = Array.from({ length: int(5) + 1 }, () => pick(PIECES)).join('');
      return `${quote}${body.replaceAll(quote === '"' ? /(?<!\\)"/g : /(?<!\\)'/g, '')}${quote}`;
    });
    const files = literals.map((literal, i) => {
      const file = `e${i}.yaml`;
      const rule = { groups: [{ name: 'g', rules: [{ record: 'x:e', expr: `m{l=${literal}}` }] }] };
      writeFileSync(join(dir, file), stringify(rule, { lineWidth: 0 }));
      return file;
    });
    const check = promtool(['check', 'rules', ...files], dir);
    const verdicts = new Map<string, boolean>();
    for (const chunk of check.output.split(/^Checking /m).slice(1)) {
      verdicts.set(chunk.split('\n')[0]?.trim() ?? '', chunk.includes('SUCCESS'));
    }
    const accepted: Array<{ literal: string; value: string }> = [];
    let outOfUtf8 = 0;
    literals.forEach((literal, i) => {
      const ours = decodeString(literal);
      const theirs = verdicts.get(`e${i}.yaml`);
      if ('value' in ours) {
        expect(theirs, `promtool rejects ${literal}, burnbook accepts it`).toBe(true);
        accepted.push({ literal, value: ours.value });
      } else if (ours.message.includes('UTF-8')) outOfUtf8++;
      else expect(theirs, `promtool accepts ${literal}, burnbook rejects it: ${ours.message}`).toBe(false);
    });
    expect(accepted.length).toBeGreaterThan(30);
    expect(literals.length - accepted.length - outOfUtf8).toBeGreaterThan(30);
    // The same value: a series labelled with burnbook's decoding (quoted its own way) is what the
    // user's literal selects in Prometheus.
    const test = {
      rule_files: [],
      tests: [
        {
          interval: '1m',
          input_series: accepted.map(({ value }, k) => ({
            series: `m{i="${k}", l=${quoteString(value)}}`,
            values: '1',
          })),
          promql_expr_test: accepted.map(({ literal, value }, k) => ({
            expr: `m{i="${k}", l=${literal}}`,
            eval_time: '0m',
            exp_samples: [{ labels: `m{i="${k}", l=${quoteString(value)}}`, value: 1 }],
          })),
        },
      ],
    };
    writeFileSync(join(dir, 'values.test.yaml'), stringify(test, { lineWidth: 0 }));
    expect(promtool(['test', 'rules', 'values.test.yaml'], dir).output).toContain('SUCCESS');
  });
});

const NAME_PIECES = ['http', '.', 'route', 'ü', '-', '😀', '0', ' ', 'a', '_', 'Ω'];

describe('UTF-8 label and metric names', () => {
  it('print quoted and parse back to the same selector', () => {
    const { int, pick } = chooser(random(9));
    for (let n = 0; n < 500; n++) {
      const name = () => Array.from({ length: int(4) + 1 }, () => pick(NAME_PIECES)).join('');
      const selector = {
        metric: name(),
        matchers: [{ name: name(), op: pick(['=', '!=', '=~', '!~'] as const), value: name() }],
      };
      const printed = formatSelector(selector);
      expect(parseSelector(printed), printed).toEqual(selector);
    }
  });

  it('with a promtool older than Prometheus 3, validate says where and why; it never throws', () => {
    const { int, pick } = chooser(random(10));
    for (let n = 0; n < 100; n++) {
      const label = `${pick(['http', 'k8s', 'otel'])}.${Array.from({ length: int(3) + 1 }, () => pick(NAME_PIECES)).join('')}`;
      const text = `apiVersion: burnbook/v1
service: otel
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: 'http_server_requests_total{${quoteString(label)}="x", code=~"5.."}'
        total: http_server_requests_total
    groupBy: [${JSON.stringify(label)}]
`;
      const { errors } = loadSpecText(text, 'otel.yaml');
      expect(errors.map((e) => `${e.line}:${e.path}`)).toEqual([
        '8:slos[0].sli.ratio.errors',
        '10:slos[0].groupBy[0]',
      ]);
      expect(errors[0]?.message).toContain('only Prometheus 3 reads');
    }
  });
});

/** The same spec in many YAML layouts people use: block or flow, quoting, comments, anchors, CRLF, BOM, tabs. */
function layout(seed: number): { text: string; tabIndent: boolean } {
  const { int, pick } = chooser(random(seed));
  const q = (s: string) => pick([s, `'${s.replaceAll("'", "''")}'`, JSON.stringify(s)]);
  const sep = () => pick([' ', '\t', '  ']);
  const comment = () => pick(['', '  # note', '\t# tab comment']);
  const anchors = int(2) === 0;
  const wantTab = int(12) === 0;
  const alerting = pick([
    '{labels: {team: payments}, tiers: [fast, slow]}',
    'tiers: [fast, slow]\n      labels:\n        team: payments',
  ]);
  const slo = (i: number) => {
    const selector = (code: string) => q(`x_total{job="api",code=~"${code}"}`);
    const alertingText = anchors
      ? i === 0
        ? `&common ${alerting.startsWith('{') ? alerting : '{labels: {team: payments}, tiers: [fast, slow]}'}`
        : '*common'
      : alerting.startsWith('{')
        ? alerting
        : `\n      ${alerting}`;
    return pick([
      `  - name:${sep()}${q(`s${i}`)}${comment()}
    objective:${sep()}99.5
    sli:
      ratio:
        errors:${sep()}${selector('5..')}
        total: ${selector('.*')}
    alerting: ${alertingText}`,
      `  - {name: s${i}, objective: 99.5, sli: {ratio: {errors: ${JSON.stringify(`x_total{job="api",code=~"5.."}`)}, total: '${`x_total{job="api",code=~".*"}`}'}}, alerting: ${anchors ? alertingText : '{labels: {team: payments}, tiers: [fast, slow]}'}}`,
    ]);
  };
  let text = `${pick(['', '---\n', '# specs\n'])}apiVersion:${sep()}burnbook/v1${comment()}\nservice: ${q('api')}\nslos:\n${[0, 1, 2].map(slo).join('\n')}\n`;
  const tabbed = wantTab ? text.replace('\n    objective', '\n\tobjective') : text;
  const tabIndent = tabbed !== text;
  text = tabbed;
  if (int(3) === 0) text = text.replaceAll('\n', '\r\n');
  if (int(3) === 0) text = `\uFEFF${text}`;
  return { text, tabIndent };
}

function model(slos: readonly Slo[]): unknown {
  return slos.map(({ source: _source, ...slo }) => slo);
}

describe('YAML layouts', () => {
  it('every layout of one spec loads to the same SLOs, or (tab indentation) to a clear error', () => {
    const reference = model(
      slosFrom(
        layout(Array.from({ length: 50 }, (_, i) => i + 1).find((seed) => !layout(seed).tabIndent) as number)
          .text,
      ),
    );
    let errors = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { text, tabIndent } = layout(seed);
      const loaded = loadSpecText(text, 'layout.yaml');
      if (tabIndent) {
        expect(loaded.errors[0]?.message, text).toMatch(/[Tt]ab/);
        errors++;
        continue;
      }
      expect(loaded.errors, text).toEqual([]);
      expect(model(loaded.slos), text).toEqual(reference);
    }
    expect(errors).toBeGreaterThan(0);
  });
});
