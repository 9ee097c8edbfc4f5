import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecs, loadSpecText } from '../src/spec/load.ts';

/** Each case: a spec with one mistake → where it is (line:col), the path, what is wrong, the hint. */

const VALID_SLO = `
  - name: availability
    objective: 99.5
    sli:
      ratio:
        errors: http_requests_total{code=~"5.."}
        total: http_requests_total`;

function spec(slos: string, header = ''): string {
  return `apiVersion: burnbook/v1\nservice: checkout\n${header}slos:${slos}\n`;
}

const cases: Array<{ name: string; text: string; at: string; path: string; message: RegExp; hint?: RegExp }> =
  [
    {
      name: 'unknown key, with a guess',
      text: spec(VALID_SLO.replace('objective: 99.5', 'objective: 99.5\n    objectve: 99')),
      at: '6:5',
      path: 'slos[0].objectve',
      message: /unknown key "objectve"/,
      hint: /did you mean "objective"/,
    },
    {
      name: 'unknown top-level key',
      text: spec(VALID_SLO, 'labls: {team: x}\n'),
      at: '3:1',
      path: 'labls',
      message: /unknown key/,
      hint: /labels/,
    },
    {
      name: 'objective written as a ratio',
      text: spec(VALID_SLO.replace('99.5', '0.995')),
      at: '5:16',
      path: 'slos[0].objective',
      message: /0.995 looks like a ratio/,
      hint: /write 99.5/,
    },
    {
      name: 'objective of 100',
      text: spec(VALID_SLO.replace('99.5', '100')),
      at: '5:16',
      path: 'slos[0].objective',
      message: /below 100/,
    },
    {
      name: 'missing objective',
      text: spec(VALID_SLO.replace('    objective: 99.5\n', '')),
      at: '4:5',
      path: 'slos[0]',
      message: /missing required key "objective"/,
    },
    {
      name: 'PromQL that does not parse, pointing at the column',
      text: spec(VALID_SLO.replace('code=~"5.."}', 'code=~"5.."')),
      at: '8:48',
      path: 'slos[0].sli.ratio.errors',
      message: /PromQL does not parse/,
    },
    {
      name: 'errors selector equal to total',
      text: spec(
        VALID_SLO.replace('http_requests_total{code=~"5.."}', 'http_requests_total{}').replace(
          'total: http_requests_total',
          'total: http_requests_total',
        ),
      ),
      at: '8:17',
      path: 'slos[0].sli.ratio.errors',
      message: /same as the total selector/,
    },
    {
      name: 'a tier longer than the period',
      text: spec(
        `${VALID_SLO.replace('objective: 99.5', 'objective: 99.5\n    period: 2d')}\n    alerting:\n      tiers:\n        - {name: weekly, budgetPercent: 50, long: 3d, short: 6h}`,
      ),
      at: '13:11',
      path: 'slos[0].alerting.tiers[0]',
      message: /long window 3d is longer than the period 2d/,
      hint: /no tier fits/,
    },
    {
      name: 'a period too short for a default tier',
      text: spec(VALID_SLO.replace('objective: 99.5', 'objective: 99.5\n    period: 6h')),
      at: '4:5',
      path: 'slos[0].alerting.tiers[0]',
      message: /default tier "fast" \(2% of the budget\) needs a long window of at least 10m/,
      hint: /period of a day or more/,
    },
    {
      name: 'a custom tier that fires below burn 1',
      text: spec(
        `${VALID_SLO.replace('objective: 99.5', 'objective: 99.5\n    period: 7d')}\n    alerting:\n      tiers:\n        - {name: very-slow, budgetPercent: 10, long: 3d, short: 6h}`,
      ),
      at: '13:11',
      path: 'slos[0].alerting.tiers[0]',
      message:
        /burn factor of 0\.233333 \(10% of the 7d budget within 3d\): it would fire on a burn that never spends the budget/,
      hint: /long: 16h45m or shorter, or budgetPercent: 42\.86 or more/,
    },
    {
      name: 'a window shorter than twice the scrape interval',
      text: spec(
        `${VALID_SLO}\n    alerting:\n      tiers:\n        - {name: quick, budgetPercent: 2, long: 1h, short: 5m}`,
        'scrapeInterval: 5m\n',
      ),
      at: '13:11',
      path: 'slos[0].alerting.tiers[0]',
      message: /short window 5m holds fewer than two scrapes at scrapeInterval 5m/,
      hint: /twice the scrape interval/,
    },
    {
      name: 'an unknown tier name',
      text: spec(`${VALID_SLO}\n    alerting:\n      tiers: [fast, medium]`),
      at: '11:21',
      path: 'slos[0].alerting.tiers[1]',
      message: /unknown tier "medium"/,
      hint: /fast, slow, very-slow/,
    },
    {
      name: 'a custom tier missing its windows',
      text: spec(`${VALID_SLO}\n    alerting:\n      tiers: [{name: hourly, budgetPercent: 2}]`),
      at: '11:15',
      path: 'slos[0].alerting.tiers[0]',
      message: /needs long, short/,
    },
    {
      name: 'a tier that can never fire',
      text: spec(
        `${VALID_SLO.replace('99.5', '90')}\n    alerting:\n      tiers:\n        - {name: fast, budgetPercent: 2, long: 1h, short: 5m}`,
      ),
      at: '12:11',
      path: 'slos[0].alerting.tiers[0]',
      message: /error ratio of 1.44, which can never happen/,
    },
    {
      name: 'a bad duration',
      text: spec(VALID_SLO.replace('objective: 99.5', 'objective: 99.5\n    period: 30 days')),
      at: '6:13',
      path: 'slos[0].period',
      message: /Prometheus duration/,
    },
    {
      name: 'two SLI kinds at once',
      text: spec(`${VALID_SLO}\n      latency: {histogram: h, threshold: 1}`),
      at: '7:7',
      path: 'slos[0].sli',
      message: /exactly one of ratio \| latency \| query \| errorRatio \| boolGauge, got ratio and latency/,
    },
    {
      name: 'a query SLI without {{window}}',
      text: spec(`
  - name: q
    objective: 99
    sli:
      query:
        errors: sum(rate(errors_total[5m]))
        total: sum(rate(requests_total[{{window}}]))`),
      at: '8:17',
      path: 'slos[0].sli.query.errors',
      message: /expected \{\{window\}\}/,
    },
    {
      name: 'a latency SLI naming the _bucket series',
      text: spec(`
  - name: l
    objective: 99
    sli:
      latency: {histogram: 'latency_seconds_bucket{job="a"}', threshold: 0.3}`),
      at: '7:28',
      path: 'slos[0].sli.latency.histogram',
      message: /base name/,
      hint: /write latency_seconds/,
    },
    {
      name: 'a reserved label',
      text: spec(VALID_SLO, 'labels: {severity: high}\n'),
      at: '3:9',
      path: 'labels',
      message: /"severity" is set by burnbook/,
    },
    {
      name: 'duplicate SLO names in one file',
      text: spec(`${VALID_SLO}${VALID_SLO}`),
      at: '10:11',
      path: 'slos[1].name',
      message: /duplicate SLO name/,
    },
    {
      name: 'a version no input format reads, with the rest still checked',
      text: spec(VALID_SLO.replace('99.5', '0.995')).replace('burnbook/v1', 'sloth/v9'),
      at: '1:13',
      path: 'apiVersion',
      message: /expected burnbook\/v1, or a document burnbook imports: Sloth .*, got string "sloth\/v9"/,
    },
    {
      name: 'an absent-SLI alert with a for that is no duration',
      text: spec(`${VALID_SLO}\n    alerting: {absent: {for: soon}}`),
      at: '10:30',
      path: 'slos[0].alerting.absent.for',
      message: /expected a Prometheus duration/,
    },
    {
      name: 'an absent-SLI alert with an unknown key',
      text: spec(`${VALID_SLO}\n    alerting: {absent: {severity: ticket, fro: 5m}}`),
      at: '10:43',
      path: 'slos[0].alerting.absent.fro',
      message: /unknown key "fro"/,
    },
    {
      name: 'a tier named like the absent-SLI alert',
      text: spec(
        `${VALID_SLO}\n    alerting: {tiers: [{name: sli-absent, budgetPercent: 2, long: 1h, short: 5m}]}`,
      ),
      at: '10:24',
      path: 'slos[0].alerting.tiers[0]',
      message: /"sli-absent" is the slo_tier of the SLO's absent-SLI alert/,
      hint: /alerting.absent/,
    },
    {
      name: 'a period longer than burnbook generates rules for',
      text: spec(VALID_SLO.replace('objective: 99.5', 'objective: 99.5\n    period: 400d')),
      at: '6:13',
      path: 'slos[0].period',
      message: /period 400d is longer than 365d/,
      hint: /365d or less/,
    },
    {
      name: 'a period longer than Prometheus durations hold',
      text: spec(VALID_SLO.replace('objective: 99.5', 'objective: 99.5\n    period: 12345678901d')),
      at: '6:13',
      path: 'slos[0].period',
      message: /longer than Prometheus can hold/,
    },
    {
      name: 'a tier for longer than Prometheus durations hold',
      text: spec(`${VALID_SLO}\n    alerting: {tiers: [{name: fast, for: 300y}]}`),
      at: '10:42',
      path: 'slos[0].alerting.tiers[0].for',
      message: /longer than Prometheus can hold/,
    },
    {
      name: 'a tier for longer than the period',
      text: spec(`${VALID_SLO}\n    alerting: {tiers: [fast, {name: slow, for: 31d}]}`),
      at: '10:30',
      path: 'slos[0].alerting.tiers[1]',
      message: /tier "slow": for 31d is longer than the period 30d/,
      hint: /far shorter/,
    },
    {
      name: 'an annotation name promtool refuses',
      text: spec(`${VALID_SLO}\n    alerting: {annotations: {http.route: x}}`),
      at: '10:42',
      path: 'slos[0].alerting.annotations.http.route',
      message: /annotation name "http.route" is not a Prometheus label name/,
      hint: /letters, digits and _/,
    },
    {
      name: 'a YAML syntax error',
      text: spec(`${VALID_SLO}\n    breakdown: [route`),
      at: '11:1',
      path: '',
      message: /./,
    },
  ];

describe('spec errors say where and what', () => {
  it.each(cases)('$name', ({ text, at, path, message, hint }) => {
    const { slos, errors } = loadSpecText(text, 'checkout.yaml');
    expect(slos).toEqual([]);
    const error = errors.find((e) => message.test(e.message));
    expect(error, `errors were: ${JSON.stringify(errors, null, 1)}`).toBeDefined();
    expect(`${error?.line}:${error?.col}`).toBe(at);
    expect(error?.path).toBe(path);
    if (hint) expect(error?.hint).toMatch(hint);
  });

  it('reads every document of a file by its own version key, each error in its own place', () => {
    const text = `${spec(VALID_SLO)}---\n${spec(VALID_SLO.replace('99.5', '0.995')).replace('checkout', 'search')}`;
    const { slos, errors } = loadSpecText(text, 'two.yaml');
    expect(slos.map((s) => `${s.service}/${s.name}`)).toEqual(['checkout/availability']);
    expect(errors.map((e) => `${e.line}:${e.col} ${e.path}`)).toEqual(['15:16 slos[0].objective']);
  });

  it('reports errors in every SLO of a file, not just the first', () => {
    const text = spec(
      `${VALID_SLO.replace('99.5', '0.995')}${VALID_SLO.replace('availability', 'latency').replace('objective', 'objectve')}`,
    );
    const { errors } = loadSpecText(text, 'checkout.yaml');
    expect(errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['slos[0].objective', 'slos[1].objectve']),
    );
  });

  it('rejects the same SLO defined in two files, pointing at both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'burnbook-specs-'));
    writeFileSync(join(dir, 'a.yaml'), spec(VALID_SLO));
    writeFileSync(join(dir, 'b.yaml'), spec(VALID_SLO));
    const { errors } = loadSpecs([dir]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.file).toMatch(/b\.yaml$/);
    expect(errors[0]?.line).toBe(4);
    expect(errors[0]?.message).toMatch(/checkout\/availability is also defined at .*a\.yaml:4/);
  });

  it('accepts the valid spec', () => {
    const { slos, errors } = loadSpecText(spec(VALID_SLO), 'checkout.yaml');
    expect(errors).toEqual([]);
    expect(slos.map((s) => s.name)).toEqual(['availability']);
  });
});
