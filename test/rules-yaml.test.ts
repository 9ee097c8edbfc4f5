import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { alertmanagerSnippet } from '../src/outputs/alertmanager/snippet.ts';
import { dashboardProvider, datasourceExample } from '../src/outputs/grafana/provisioning.ts';
import { ruleGroup } from '../src/outputs/rules/groups.ts';
import { promtoolTests } from '../src/outputs/rules/promtool-tests.ts';
import { fastYaml, toYaml } from '../src/outputs/yaml.ts';
import { byService } from '../src/spec/by-service.ts';
import { loadSpecs, loadSpecText } from '../src/spec/load.ts';
import { alertOptions } from './support/outputs.ts';
import { random } from './support/random.ts';

const OPTIONS = alertOptions();
const reference = (value: unknown) => stringify(value, { lineWidth: 0 });

// Strings that need the package's quoting rules: colons, hashes, quotes, look-alike numbers and booleans.
const awkward = `apiVersion: burnbook/v1
service: awkward
labels: {team: "0.5", tier: "true", env: "null", zone: "a: b", region: "#1", owner: "-x"}
scrapeInterval: 30s
slos:
  - name: quoted
    description: "Errors: 5xx # from the edge, 'quoted' and \\"double\\""
    objective: 99.9
    sli:
      ratio:
        errors: http_requests_total{job="awkward",code=~"5.."}
        total: http_requests_total{job="awkward"}
    alerting:
      labels: {channel: "@oncall", empty: ""}
      annotations:
        playbook: "https://wiki.example.com/a#b"
        note: "line one\\nline two"
        colon: "ends with:"
        spaced: " leading space"
        number: "1e3"
        star: "*bold*"
`;

function generatedBodies(): unknown[] {
  const examples = loadSpecs(['slos/']);
  const extra = loadSpecText(awkward, 'awkward.yaml');
  expect(examples.errors).toEqual([]);
  expect(extra.errors).toEqual([]);
  const slos = [...examples.slos, ...extra.slos];
  return [
    ...[...byService(slos)].map(([, own]) => ({ groups: own.map((slo) => ruleGroup(slo, OPTIONS)) })),
    ...slos.map((slo) => promtoolTests({ slo, ruleFile: 'x.yaml', options: OPTIONS })).filter(Boolean),
    alertmanagerSnippet(slos, OPTIONS.urls),
    dashboardProvider(),
    datasourceExample(),
  ];
}

const PIECES = [
  'a',
  'Z',
  '_',
  '0',
  '1.5',
  '-',
  '?',
  ':',
  ': ',
  ' ',
  '#',
  ' #',
  '"',
  "'",
  '\\',
  '\n',
  '\n\n',
  '\t',
  '{',
  '}',
  '[',
  ']',
  ',',
  '&',
  '*',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  '.',
  '---',
  '...',
  'true',
  'null',
  '~',
  'e3',
  '0x1F',
  '.inf',
  '×',
  'é',
  '\u00a0',
  '\u2028',
  '\u0007',
  '😀',
  'ok',
  'value',
];

function randomString(next: () => number): string {
  const length = Math.floor(next() * 5);
  return Array.from({ length }, () => PIECES[Math.floor(next() * PIECES.length)]).join('');
}

function randomValue(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 2 || r < 0.5) {
    const k = next();
    if (k < 0.75) return randomString(next);
    if (k < 0.85) return Math.round(next() * 1000) / (next() < 0.5 ? 1 : 7);
    if (k < 0.95) return next() < 0.5;
    return null;
  }
  const size = Math.floor(next() * 4);
  if (r < 0.75) {
    return Object.fromEntries(
      Array.from({ length: size }, () => [randomString(next) || 'k', randomValue(next, depth + 1)]),
    );
  }
  return Array.from({ length: size }, () => randomValue(next, depth + 1));
}

describe('YAML writer', () => {
  it('writes every generated file exactly as the yaml package does, without falling back', () => {
    for (const body of generatedBodies()) {
      expect(fastYaml(body)).toBe(reference(body));
    }
  });

  it('writes what it accepts exactly as the yaml package does, and hands the rest over', () => {
    const next = random(7);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = { root: randomValue(next, 0), [randomString(next) || 'key']: randomString(next) };
      const fast = fastYaml(value);
      if (fast !== undefined) accepted++;
      expect(toYaml(value)).toBe(reference(value));
      if (fast !== undefined) expect(fast).toBe(reference(value));
    }
    // The fast path must cover most values, or the comparison above proves little.
    expect(accepted).toBeGreaterThan(2_000);
  });

  it('leaves objects that appear twice to the package, which writes anchors for them', () => {
    const shared = { a: 1 };
    const value = { x: shared, y: shared };
    expect(fastYaml(value)).toBeUndefined();
    expect(toYaml(value)).toBe(reference(value));
  });
});
