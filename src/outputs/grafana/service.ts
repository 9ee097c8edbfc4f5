import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { OVERVIEW_PATH, serviceDashboardTitle, serviceDashboardUid } from '../../conventions/dashboards.ts';
import { alertTitle, errorRatioRecord, RECORDS, sloIdentity } from '../../conventions/names.ts';
import { budgetTimeMs, errorBudget, type TierFacts, tierFacts } from '../../policy/burn.ts';
import { formatDuration, humanDuration } from '../../policy/duration.ts';
import { formatNumber, formatPercent, roundForPeople } from '../../policy/number.ts';
import { BASE_WINDOW_MS } from '../../policy/windows.ts';
import type { LabelMatcher } from '../../promql/parse.ts';
import type { Slo } from '../../spec/model.ts';
import { periodData } from '../rules/recording.ts';
import {
  BUDGET_STEPS,
  burnbookDashboard,
  burnRateSteps,
  type Color,
  type DashboardOptions,
  dashedThresholds,
  link,
  numberPanels,
  stateTimelinePanel,
  statPanel,
  textPanel,
  thresholds,
  timeseriesPanel,
  UNIT,
} from './panels.ts';
import { alertStateExpr, DATASOURCE, equals, firingAnnotation, selector } from './queries.ts';

/** Each SLO's own series, narrowed to the groups picked in the dashboard's variables. */
function sloMatchers(slo: Slo): LabelMatcher[] {
  // The variables are named after their labels, so `var-tenant=...` links (dashboard_url) pick them.
  return [
    ...equals(sloIdentity(slo)),
    ...slo.groupBy.map((label): LabelMatcher => ({ name: label, op: '=~', value: `$${label}` })),
  ];
}

function groupVariable(service: string, label: string): dashboard.QueryVariableBuilder {
  return (
    new dashboard.QueryVariableBuilder(label)
      .label(label)
      .datasource(DATASOURCE)
      .query(`label_values(${selector(RECORDS.total, equals({ slo_service: service }))}, ${label})`)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      // Every value, without spelling them all out in the query.
      .allValue('.+')
  );
}

function forText(forMs: number): string {
  return forMs ? `, for ${formatDuration(forMs)}` : '';
}

function facts(slo: Slo): TierFacts[] {
  return slo.alerting.tiers.map((tier) => tierFacts(tier, slo.periodMs, slo.objective));
}

/** Where the fastest tier alerts, in burn rate: where a burn-rate number turns red. */
export function fastestFactor(slo: Slo): number {
  return facts(slo)[0]?.factor ?? 1;
}

/** What the numbers mean, for whoever opens the dashboard in the middle of the night. */
function sloFacts(slo: Slo, opts: DashboardOptions): string {
  const budget = errorBudget(slo.objective);
  const rows = facts(slo).map(
    ({ tier, factor, threshold }) =>
      `| ${tier.name} (${tier.severity}) | ${formatNumber(factor)}× (error ratio ${formatNumber(threshold)}) | ` +
      `${formatDuration(tier.longMs)} and ${formatDuration(tier.shortMs)}${forText(tier.forMs)} | ` +
      `[runbook](${opts.urls.runbook(slo, tier)}) |`,
  );
  return [
    `**${slo.description}**`,
    '',
    `Objective **${slo.objective}%** over **${formatDuration(slo.periodMs)}**: an error budget of ${formatPercent(budget)}, ` +
      `${humanDuration(budgetTimeMs(slo.periodMs, slo.objective))} of full outage.`,
    '',
    '| tier | alerts above | both windows | |',
    '|---|---|---|---|',
    ...rows,
    '',
    `[Open in burnbook](${opts.urls.sloPage(slo)}) · defined in \`${slo.source.file}:${slo.source.line}\``,
  ].join('\n');
}

type Panel = cog.Builder<dashboard.Panel>;

/** What every panel of one SLO's section needs: its series, its legends and its numbers. */
interface SloView {
  slo: Slo;
  opts: DashboardOptions;
  /** This SLO's series, in the groups picked in the variables. */
  matchers: LabelMatcher[];
  of: (metric: string) => string;
  legend: (what: string) => string;
  /** How stats that fold the groups into one number say which one they show. */
  worst: string;
  period: string;
  objective: number;
  fastest: number;
  runbooks: dashboard.DashboardLinkBuilder[];
  sloPage: dashboard.DashboardLinkBuilder;
}

function sloView(slo: Slo, opts: DashboardOptions): SloView {
  const matchers = sloMatchers(slo);
  const groups = slo.groupBy.map((label) => `{{${label}}}`).join(' ');
  return {
    slo,
    opts,
    matchers,
    of: (metric) => selector(metric, matchers),
    legend: (what) => (groups ? `${what} ${groups}` : what),
    worst: slo.groupBy.length ? ` (worst ${slo.groupBy.join('/')})` : '',
    period: formatDuration(slo.periodMs),
    objective: roundForPeople(slo.objective / 100),
    fastest: fastestFactor(slo),
    runbooks: slo.alerting.tiers.map((tier) =>
      link(`Runbook: ${alertTitle(slo, tier)}`, opts.urls.runbook(slo, tier)),
    ),
    sloPage: link('Open in burnbook', opts.urls.sloPage(slo)),
  };
}

/** The facts, then where the SLO stands now: budget left, in share and in outage time, burn rate, SLI. */
function nowPanels(v: SloView): Panel[] {
  const { slo, of } = v;
  const budget = errorBudget(slo.objective);
  const budgetSeconds = budgetTimeMs(slo.periodMs, slo.objective) / 1000;
  const stat = (
    title: string,
    description: string,
    expr: string,
    links: dashboard.DashboardLinkBuilder[] = [],
  ) => statPanel({ title, description, width: 3, height: 9, links }, expr);
  return [
    textPanel(
      { title: `${slo.name}: what the numbers mean`, width: 9, height: 9, links: [v.sloPage] },
      sloFacts(slo, v.opts),
    ),
    stat(
      `Error budget left${v.worst}`,
      `Share of the ${v.period} error budget (${formatPercent(budget)}) not yet spent; below 0 the SLO is missed.`,
      `min(${of(RECORDS.budgetRemaining)})`,
      [v.sloPage],
    )
      .unit(UNIT.ratio)
      .decimals(1)
      .thresholds(thresholds('red', ...BUDGET_STEPS)),
    stat(
      'Budget based on',
      `How much data the budget left rests on: less than the ${v.period} period while the SLO, or burnbook's ` +
        "rules, are younger than it; until then the budget takes the period's traffic from this much.",
      `min(${periodData(slo.periodMs, of)})`,
    )
      .unit(UNIT.seconds)
      .thresholds(thresholds('yellow', [slo.periodMs / 1000 - 60, 'green'])),
    stat(
      'Budget left as full outage',
      `How long a total outage the rest of the budget absorbs (the whole budget: ${humanDuration(budgetSeconds * 1000)}).`,
      `clamp_min(min(${of(RECORDS.budgetRemaining)}), 0) * ${formatNumber(budgetSeconds)}`,
    )
      .unit(UNIT.seconds)
      .thresholds(
        thresholds(
          'red',
          ...BUDGET_STEPS.map(([ratio, color]): [number, Color] => [ratio * budgetSeconds, color]),
        ),
      ),
    stat(
      `Burn rate now${v.worst}`,
      `Error ratio over 5m ÷ the error budget: 1× spends exactly the budget over ${v.period}; ` +
        `the fastest tier alerts above ${formatNumber(v.fastest)}×.`,
      `max(${of(RECORDS.currentBurnRate)})`,
      v.runbooks,
    )
      .unit(UNIT.burnRate)
      .decimals(2)
      .thresholds(thresholds('green', ...burnRateSteps(v.fastest))),
    stat(
      'SLI over the time range',
      `Good events ÷ all events across the dashboard's time range, against the ${slo.objective}% objective.`,
      `1 - sum(sum_over_time(${of(RECORDS.errors)}[$__range])) / (sum(sum_over_time(${of(RECORDS.total)}[$__range])) > 0)`,
    )
      .unit(UNIT.ratio)
      .decimals(3)
      .noValue('no events')
      .thresholds(thresholds('red', [v.objective, 'green'])),
  ];
}

/** The SLI against its objective, and the budget against 0, over the dashboard's time range. */
function periodPanels({ slo, of, legend, period, objective }: SloView): Panel[] {
  return [
    dashedThresholds(
      timeseriesPanel(
        {
          title: `SLI: good events over 5m and over the ${period} period`,
          description: `The dashed line is the ${slo.objective}% objective; the ${period} line is what the SLO is judged on.`,
          width: 12,
          height: 8,
        },
        [
          { refId: 'A', expr: `1 - ${of(errorRatioRecord(BASE_WINDOW_MS))}`, legend: legend('5m') },
          { refId: 'B', expr: `1 - ${of(errorRatioRecord(slo.periodMs))}`, legend: legend(period) },
        ],
      ),
    )
      .unit(UNIT.ratio)
      .max(1)
      .thresholds(thresholds('red', [objective, 'green'])),
    dashedThresholds(
      timeseriesPanel(
        {
          title: `Error budget remaining over the ${period} period`,
          description: 'Below the dashed line at 0 the budget is spent and the SLO is missed.',
          width: 12,
          height: 8,
        },
        [{ refId: 'A', expr: of(RECORDS.budgetRemaining), legend: legend('budget left') }],
      ),
    )
      .unit(UNIT.ratio)
      .thresholds(thresholds('red', [0, 'green'])),
  ];
}

/** Each tier's two windows as burn rates, with the tier's factor drawn where it alerts. */
function tierPanels({ slo, opts, of, legend }: SloView): Panel[] {
  const budget = formatNumber(errorBudget(slo.objective));
  const tiers = facts(slo);
  return tiers.map(({ tier, factor, threshold, timeToExhaustionMs }) =>
    dashedThresholds(
      timeseriesPanel(
        {
          title: `${tier.name} tier (${tier.severity}): burn rate over ${formatDuration(tier.longMs)} and ${formatDuration(tier.shortMs)}`,
          description:
            `Alerts when both windows are above ${formatNumber(factor)}× (error ratio ${formatNumber(threshold)})` +
            `${forText(tier.forMs)}: ${formatNumber(tier.budgetPercent)}% of the budget spent in ${formatDuration(tier.longMs)}, ` +
            `all of it in ${humanDuration(timeToExhaustionMs)}.`,
          width: Math.max(6, Math.floor(24 / tiers.length)),
          height: 8,
          links: [link(`Runbook: ${alertTitle(slo, tier)}`, opts.urls.runbook(slo, tier))],
        },
        [tier.longMs, tier.shortMs].map((windowMs, i) => ({
          refId: i ? 'short' : 'long',
          expr: `${of(errorRatioRecord(windowMs))} / ${budget}`,
          legend: legend(formatDuration(windowMs)),
        })),
      ),
    )
      .unit(UNIT.burnRate)
      .thresholds(thresholds('green', [factor, 'red'])),
  );
}

/** Which tiers are pending or firing, and the traffic the SLI counts. */
function alertAndTrafficPanels({ slo, matchers, of, legend, runbooks }: SloView): Panel[] {
  return [
    stateTimelinePanel(
      {
        title: 'Burn-rate alerts',
        description:
          "Pending while a tier waits out its `for`, firing after; from Prometheus's ALERTS series.",
        width: 12,
        height: 7,
        links: runbooks,
      },
      {
        refId: 'A',
        expr: alertStateExpr(matchers, ['slo_tier', ...slo.groupBy]),
        legend: legend('{{slo_tier}}'),
      },
    ).noValue('no burn-rate alert pending or firing'),
    timeseriesPanel(
      {
        title: 'Events per second',
        description: 'All events the SLI counts, and the bad ones.',
        width: 12,
        height: 7,
      },
      [
        { refId: 'total', expr: of(RECORDS.total), legend: legend('all') },
        { refId: 'errors', expr: of(RECORDS.errors), legend: legend('bad') },
      ],
    )
      .unit(UNIT.eventsPerSecond)
      .overrideByQuery('errors', [{ id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }]),
  ];
}

/**
 * One row per SLO: where it stands now, then the SLI, the budget, every tier's burn rate against
 * its threshold, alert state and traffic over the dashboard's time range.
 */
function sloSection(slo: Slo, opts: DashboardOptions): Panel[] {
  const view = sloView(slo, opts);
  return [...nowPanels(view), ...periodPanels(view), ...tierPanels(view), ...alertAndTrafficPanels(view)];
}

/** A dashboard per service, one section per SLO, each tier drawn against its own threshold. */
export function serviceDashboard(
  service: string,
  slos: readonly Slo[],
  opts: DashboardOptions,
): dashboard.Dashboard {
  const builder = burnbookDashboard(
    serviceDashboardTitle(service),
    serviceDashboardUid(service),
    `Burn rates, error budgets and alerts of every SLO of ${service}.`,
  )
    .annotation(
      firingAnnotation([...equals({ slo_service: service }), { name: 'slo_tier', op: '!=', value: '' }]),
    )
    .link(
      new dashboard.DashboardLinkBuilder('SLO overview')
        .type(dashboard.DashboardLinkType.Link)
        .url(OVERVIEW_PATH)
        .keepTime(true),
    );
  for (const label of [...new Set(slos.flatMap((slo) => slo.groupBy))])
    builder.withVariable(groupVariable(service, label));
  for (const slo of slos) {
    builder.withRow(
      new dashboard.RowBuilder(`${slo.name}: ${slo.objective}% over ${formatDuration(slo.periodMs)}`),
    );
    for (const panel of sloSection(slo, opts)) builder.withPanel(panel);
  }
  return numberPanels(builder.build());
}
