import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { OVERVIEW_TITLE, OVERVIEW_UID, serviceDashboardPath } from '../../conventions/dashboards.ts';
import { RECORDS } from '../../conventions/names.ts';
import { quote } from '../../promql/build.ts';
import type { LabelMatcher } from '../../promql/parse.ts';
import type { Slo } from '../../spec/model.ts';
import {
  ALERT_STATE_MAPPINGS,
  BUDGET_STEPS,
  burnbookDashboard,
  burnRateSteps,
  type DashboardOptions,
  link,
  numberPanels,
  statPanel,
  tablePanel,
  thresholds,
  UNIT,
} from './panels.ts';
import { alertStateExpr, equals, grafanaVariable, selector } from './queries.ts';
import { fastestFactor } from './service.ts';

const SLO = ['slo_service', 'slo'];
const BY_SLO = `by (${SLO.join(', ')})`;

// burnbook's own service names need no regex escaping.
function ourServices(slos: readonly Slo[]): LabelMatcher[] {
  return [{ name: 'slo_service', op: '=~', value: [...new Set(slos.map((slo) => slo.service))].join('|') }];
}

/** Every tier name in use, fastest first: one table column each. */
function tierNames(slos: readonly Slo[]): string[] {
  const tiers = slos.flatMap((slo) => slo.alerting.tiers).sort((a, b) => a.longMs - b.longMs);
  return [...new Set(tiers.map((tier) => tier.name))];
}

/**
 * The objective of every SLO, carrying the path of its dashboard as a label: a table row can
 * only link through its own cells, and Grafana cannot compute a uid that had to be hashed.
 */
function objectiveWithDashboard(slos: readonly Slo[]): string {
  const services = [...new Set(slos.map((slo) => slo.service))];
  return services
    .map((service) => {
      const objective = `max ${BY_SLO} (${selector(RECORDS.objective, equals({ slo_service: service }))})`;
      return `label_replace(${objective}, "dashboard", ${quote(serviceDashboardPath(service))}, "", "")`;
    })
    .join(' or ');
}

// Overrides address the table's columns by the names Prometheus's table format gives them.
const valueColumn = (refId: string) => `Value #${refId}`;

function column(name: string, properties: dashboard.DynamicConfigValue[]) {
  return { matcher: { id: 'byName', options: name }, properties };
}

function cells(type: common.TableCellDisplayMode): dashboard.DynamicConfigValue {
  return { id: 'custom.cellOptions', value: { type } };
}

const HIDDEN: dashboard.DynamicConfigValue = { id: 'custom.hidden', value: true };

/** Every SLO in one table, the least budget left first, each row linking to its dashboard and burnbook page. */
function sloTable(slos: readonly Slo[], opts: DashboardOptions) {
  const ours = ourServices(slos);
  const fastest = Math.min(...slos.map(fastestFactor));
  const tiers = tierNames(slos);
  const everySlo = `0 * max ${BY_SLO} (${selector(RECORDS.objective, ours)})`;
  const queries = [
    { refId: 'objective', expr: objectiveWithDashboard(slos) },
    { refId: 'budget', expr: `min ${BY_SLO} (${selector(RECORDS.budgetRemaining, ours)})` },
    { refId: 'burn', expr: `max ${BY_SLO} (${selector(RECORDS.currentBurnRate, ours)})` },
    // Every SLO gets a 0 so the columns are there, and mean "ok", while nothing fires.
    ...tiers.map((tier) => ({
      refId: `tier-${tier}`,
      expr: `${alertStateExpr([...ours, { name: 'slo_tier', op: '=', value: tier }], SLO)} or ${everySlo}`,
    })),
  ];
  const field = (name: string) => grafanaVariable(`__data.fields.${name}`);
  const sloPage = opts.urls.sloPage({ service: field('slo_service'), name: field('slo') });
  const columns = ['slo_service', 'slo', ...queries.map((q) => valueColumn(q.refId))];

  return tablePanel(
    {
      title: 'Every SLO, least error budget left first',
      description:
        'For SLOs with groupBy, the worst group. Click an SLO for its dashboard or its burnbook page.',
      width: 24,
      height: Math.min(30, 4 + slos.length),
    },
    queries,
  )
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true },
        indexByName: Object.fromEntries(columns.map((name, i) => [name, i])),
      },
    })
    .sortBy([new common.TableSortByFieldStateBuilder().displayName('Budget left').desc(false)])
    .overrides([
      column('slo_service', [{ id: 'displayName', value: 'Service' }]),
      column('slo', [
        { id: 'displayName', value: 'SLO' },
        {
          id: 'links',
          value: [
            { title: 'SLO dashboard', url: field('dashboard') },
            { title: 'burnbook page', url: sloPage, targetBlank: true },
          ],
        },
      ]),
      column('dashboard', [HIDDEN]),
      column(valueColumn('objective'), [
        { id: 'displayName', value: 'Objective' },
        { id: 'unit', value: UNIT.ratio },
      ]),
      column(valueColumn('budget'), [
        { id: 'displayName', value: 'Budget left' },
        { id: 'unit', value: UNIT.ratio },
        { id: 'decimals', value: 1 },
        { id: 'thresholds', value: thresholds('red', ...BUDGET_STEPS).build() },
        cells(common.TableCellDisplayMode.ColorBackground),
      ]),
      column(valueColumn('burn'), [
        { id: 'displayName', value: 'Burn rate now' },
        { id: 'unit', value: UNIT.burnRate },
        { id: 'decimals', value: 2 },
        { id: 'thresholds', value: thresholds('green', ...burnRateSteps(fastest)).build() },
        cells(common.TableCellDisplayMode.ColorText),
      ]),
      ...tiers.map((tier) =>
        column(valueColumn(`tier-${tier}`), [
          { id: 'displayName', value: tier },
          { id: 'mappings', value: ALERT_STATE_MAPPINGS },
          cells(common.TableCellDisplayMode.ColorBackground),
        ]),
      ),
    ]);
}

/** All SLOs on one screen: how many are in trouble, and which, worst first. */
export function overviewDashboard(slos: readonly Slo[], opts: DashboardOptions): dashboard.Dashboard {
  const ours = ourServices(slos);
  const firing = (extra: LabelMatcher[]) =>
    `count(${selector('ALERTS', [...ours, { name: 'alertstate', op: '=', value: 'firing' }, { name: 'slo_tier', op: '!=', value: '' }, ...extra])}) or vector(0)`;
  const alarming = (title: string, description: string, expr: string) =>
    statPanel({ title, description, width: 8, height: 4 }, expr).thresholds(thresholds('green', [1, 'red']));

  const builder = burnbookDashboard(
    OVERVIEW_TITLE,
    OVERVIEW_UID,
    'Every SLO burnbook generates rules for: budget left, burn rate now and firing tiers.',
  )
    .link(link('burnbook', opts.urls.base))
    .withPanel(
      alarming(
        'SLOs out of error budget',
        'SLOs whose budget left is below 0 (for groupBy SLOs: in any group).',
        `count(min ${BY_SLO} (${selector(RECORDS.budgetRemaining, ours)}) < 0) or vector(0)`,
      ),
    )
    .withPanel(
      alarming(
        'Pages firing',
        'Burn-rate alerts of severity page that fire now.',
        firing(equals({ severity: 'page' })),
      ),
    )
    .withPanel(
      alarming(
        'Burn-rate alerts firing',
        'Every burn-rate alert that fires now, of any severity.',
        firing([]),
      ),
    )
    .withPanel(sloTable(slos, opts));
  return numberPanels(builder.build());
}
