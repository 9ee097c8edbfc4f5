import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPromql } from '../src/promql/parse.ts';
import { firstLookQueries } from '../src/runbooks/context.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { testApp } from './support/app.ts';

const { slos, errors } = loadSpecs(['slos']);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const UNIT_MS: Record<string, number> = { s: 1000, min: MINUTE, h: HOUR, days: 24 * HOUR };

let app: FastifyInstance;

beforeAll(async () => {
  app = await testApp({
    slos,
  });
});

afterAll(async () => {
  await app?.close();
});

async function get(path: string): Promise<string> {
  const response = await app.inject({ method: 'GET', url: path });
  expect(response.statusCode, `${path}: ${response.body.slice(0, 300)}`).toBe(200);
  return response.body;
}

function decode(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&#x([0-9a-f]+);/gi, (_, hex) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The big number of a fact box, e.g. fact(html, 'Burn factor') → '14.4×'. */
function fact(html: string, label: string): string {
  const match = new RegExp(`<dt>${label}</dt><dd>([^<]*)<`).exec(html);
  if (!match?.[1]) throw new Error(`no fact "${label}" on the page`);
  return decode(match[1]).trim();
}

/** "4.3 min" → milliseconds. */
function durationMs(text: string): number {
  const match = /^([\d.]+) ?(s|min|h|days)$/.exec(text);
  if (!match?.[1] || !match[2]) throw new Error(`not a duration for people: "${text}"`);
  return Number(match[1]) * (UNIT_MS[match[2]] as number);
}

// People read one decimal: the page's number must be the formula's, rounded to that.
function expectCloseDuration(shown: string, expectedMs: number) {
  const ms = durationMs(shown);
  expect(Math.abs(ms - expectedMs) / expectedMs, `${shown} vs ${expectedMs} ms`).toBeLessThan(0.05);
}

// Pages print six significant digits: 0.933333, not 0.933333333333.
const round = (x: number) => Number(x.toPrecision(6));

function queryTexts(html: string): string[] {
  return [...html.matchAll(/<code id="query-\d+-expr">([^<]*)<\/code>/g)].map((m) => decode(m[1] ?? ''));
}

describe('runbook pages for every tier of every example SLO', () => {
  it('loads the examples', () => {
    expect(errors).toEqual([]);
    expect(slos.length).toBeGreaterThanOrEqual(5);
  });

  it('checkout availability fast burn: 0.072 = 14.4 × 0.005, 216 min, 50 h', async () => {
    const html = await get('/runbooks/checkout/availability-fast-burn');
    expect(fact(html, 'Burn factor')).toBe('14.4×');
    expect(fact(html, 'Threshold \\(error ratio\\)')).toBe('0.072');
    expect(html).toContain('<small>= 14.4 × 0.005</small>');
    expect(fact(html, 'Budget for 30d')).toBe('216 min');
    expect(fact(html, 'Budget gone in')).toBe('50 h');
    expect(fact(html, 'Windows')).toBe('1h and 5m');
    // 1h × 0.072 of errors at a 100% error ratio.
    expect(fact(html, 'Total outage trips it in')).toBe('4.3 min');
    expect(html).toContain('<strong>Act now</strong>');
  });

  for (const slo of slos) {
    for (const tier of slo.alerting.tiers) {
      const alertname = `${slo.alerting.name}-${tier.name}-burn`;
      it(`${slo.service}/${alertname}`, async () => {
        const html = await get(`/runbooks/${slo.service}/${alertname}`);
        const budget = (100 - slo.objective) / 100;
        const factor = ((tier.budgetPercent / 100) * slo.periodMs) / tier.longMs;
        const threshold = factor * budget;
        const periodDays = slo.periodMs / (24 * HOUR);

        expect(html).toContain(`<h1>${alertname}</h1>`);
        expect(fact(html, 'Burn factor')).toBe(`${round(factor)}×`);
        expect(fact(html, 'Threshold \\(error ratio\\)')).toBe(String(round(threshold)));
        expect(fact(html, `Budget for ${periodDays}d`)).toBe(
          `${round((slo.periodMs * budget) / MINUTE)} min`,
        );
        expectCloseDuration(fact(html, 'Budget gone in'), slo.periodMs / factor);
        expectCloseDuration(fact(html, 'Total outage trips it in'), tier.longMs * threshold);
        expect(html).toContain(`<span class="badge ${tier.severity}">${tier.severity}</span>`);
        expect(html).toContain(tier.severity === 'page' ? 'Act now' : 'Next working day');
        for (const other of slo.alerting.tiers.filter((t) => t !== tier)) {
          expect(html).toContain(`href="${slo.alerting.name}-${other.name}-burn"`);
        }
        expect(queryTexts(html)).toEqual(firstLookQueries(slo, tier).map((q) => q.expr));
      });
    }
  }
});

describe('first-look queries', () => {
  for (const slo of slos) {
    for (const tier of slo.alerting.tiers) {
      // Their text is pinned by the golden cases' runbook pages (test/golden); what they return, by
      // test/e2e/first-look-queries.test.ts against Prometheus.
      it(`${slo.service}/${slo.name} ${tier.name}: parse, in order, one scope per breakdown label`, () => {
        const queries = firstLookQueries(slo, tier);
        expect(queries.map((q) => q.step)).toEqual(['confirm', ...slo.breakdown.map(() => 'scope'), 'trend']);
        for (const q of queries) {
          expect(checkPromql(q.expr), q.expr).toBeUndefined();
          expect(q.meaning.length).toBeGreaterThan(20);
        }
      });
    }
  }
});
