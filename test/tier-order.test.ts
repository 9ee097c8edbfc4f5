import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { alertLabels, alertName } from '../src/conventions/names.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { alertingTiers, type Slo } from '../src/spec/model.ts';
import { type RunningAlertmanager, startAlertmanager } from './support/alertmanager.ts';
import { burnbook } from './support/cli.ts';
import { alertmanagerFile } from './support/outputs.ts';
import { slosFrom } from './support/promtool-scenario.ts';
import { chooser, random } from './support/random.ts';
import { until } from './support/wait.ts';

/**
 * Custom tier names in opposite orders in two SLOs (tiers are ordered by long window, fastest first). The snippet's inhibit rules are shared by tier name, so
 * each tier would hold the other back in both SLOs and a burn that fires both would page nobody: burnbook
 * refuses the specs, at the later SLO, and says why.
 */

const tier = (name: string, long: string) =>
  `{name: ${name}, budgetPercent: 5, long: ${long}, short: 5m, severity: ${name}}`;
// checkout's page tier is its fast one; search reuses the names the other way round.
const CHECKOUT = [tier('page', '1h'), tier('ticket', '1d')];
const SEARCH = [tier('ticket', '1h'), tier('page', '1d')];
const spec = (name: string, tiers: string[]) => `apiVersion: burnbook/v1
service: ${name}
slos:
  - name: availability
    objective: 99.9
    sli: {ratio: {errors: '${name}_requests_total{code="500"}', total: ${name}_requests_total}}
    alerting: {tiers: [${tiers.join(', ')}]}
`;

function specDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'burnbook-tier-order-'));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

let alertmanager: RunningAlertmanager;
// Built one text at a time, past the check, to show what the refused snippet would do.
const conflicting = [...slosFrom(spec('checkout', CHECKOUT)), ...slosFrom(spec('search', SEARCH))];

beforeAll(async () => {
  alertmanager = await startAlertmanager({
    configYaml: stringify({
      route: { receiver: 'null', group_wait: '1h', routes: [] },
      receivers: [{ name: 'null' }],
      inhibit_rules: parse(alertmanagerFile(conflicting)).inhibit_rules,
    }),
  });
});

afterAll(async () => {
  await alertmanager?.stop();
});

describe('tier orders that conflict across SLOs', () => {
  it('would let two firing tiers of one SLO hold each other back in a real Alertmanager', async () => {
    const [checkout] = conflicting as [Slo];
    const alerts = alertingTiers(checkout).map((tier) => ({
      labels: { alertname: alertName(checkout, tier), ...alertLabels(checkout, tier) },
      startsAt: new Date().toISOString(),
    }));
    const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    expect(posted.status).toBe(200);
    // Alertmanager takes in source alerts a moment after it lists them: wait for its settled view.
    await until(
      'both tiers held back by each other',
      async () =>
        (
          (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as Array<{
            status: { inhibitedBy: string[] };
          }>
        ).map((a) => a.status.inhibitedBy.length > 0),
      (held) => held.length === 2 && held.every(Boolean),
      10_000,
    );
  });

  it('are refused by validate at the later SLO, naming the other, and nothing is generated', () => {
    const dir = specDir({
      'a-checkout.yaml': spec('checkout', CHECKOUT),
      'b-search.yaml': spec('search', SEARCH),
    });
    const { errors } = loadSpecs([dir]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 4 });
    expect(errors[0]?.file).toMatch(/b-search\.yaml$/);
    expect(errors[0]?.message).toContain(
      'has tier "ticket" faster than "page" (a shorter long window), but checkout/availability',
    );
    const validate = burnbook(['validate', dir]);
    expect(validate.code).toBe(1);
    expect(validate.all).toContain('hold each other back');
    expect(validate.all).not.toMatch(/\n\s+at /);
    const out = join(dir, 'out');
    expect(burnbook(['generate', dir, '--out', out]).code).toBe(1);
  });

  it('seeded: every accepted set of SLOs gets inhibit rules in which no two tiers of one SLO hold each other back', () => {
    const next = random(1616);
    const { pick } = chooser(next);
    const names = ['fast', 'page', 'ticket', 'slow', 'late'];
    let refused = 0;
    for (let run = 0; run < 200; run++) {
      const orders = Array.from({ length: 2 + Math.floor(next() * 3) }, () => {
        const shuffled = [...names].sort(() => next() - 0.5);
        return shuffled.slice(0, 1 + Math.floor(next() * 3));
      });
      const files = Object.fromEntries(
        orders.map((order, i) => [
          `s${i}.yaml`,
          spec(
            `svc${i}`,
            order.map(
              (name, j) =>
                `{name: ${name}, budgetPercent: ${2 + j * 3}, long: ${j + 1}h, short: 5m, severity: ${pick(['page', 'ticket'])}}`,
            ),
          ),
        ]),
      );
      const { slos, errors } = loadSpecs([specDir(files)]);
      const pairs = new Set(
        orders.flatMap((o) => o.flatMap((a, i) => o.slice(i + 1).map((b) => `${a}>${b}`))),
      );
      const conflict = [...pairs].some((p) => pairs.has(p.split('>').reverse().join('>')));
      expect(errors.length > 0, JSON.stringify(orders)).toBe(conflict);
      if (conflict) {
        refused++;
        expect(errors.every((e) => e.message.includes('hold each other back'))).toBe(true);
        continue;
      }
      const rules = parse(alertmanagerFile(slos)).inhibit_rules as Array<{
        source_matchers: string[];
        target_matchers: string[];
      }>;
      const holds = (a: string, b: string) =>
        rules.some(
          (r) =>
            r.source_matchers.includes(`slo_tier="${a}"`) &&
            r.target_matchers.some(
              (m) => m.startsWith('slo_tier=~') && m.slice(11, -1).split('|').includes(b),
            ),
        );
      for (const slo of slos) {
        const tiers = alertingTiers(slo).map((t) => t.name);
        for (const a of tiers)
          for (const b of tiers) expect(a !== b && holds(a, b) && holds(b, a)).toBe(false);
      }
    }
    // Both kinds occur, so the rule was checked both ways.
    expect(refused).toBeGreaterThan(20);
    expect(refused).toBeLessThan(180);
  });
});
