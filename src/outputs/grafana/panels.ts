import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { TextMode, PanelBuilder as TextPanel } from '@grafana/grafana-foundation-sdk/text';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import type { SiteUrls } from '../../conventions/urls.ts';
import { roundForPeople } from '../../policy/number.ts';
import { DATASOURCE, datasourceVariable, instantQuery, type Query, rangeQuery } from './queries.ts';

/** The panels both dashboards are made of, with their units, colours and thresholds. */

export const UNIT = {
  ratio: 'percentunit',
  seconds: 'dtdurations',
  burnRate: 'suffix:×',
  eventsPerSecond: 'eps',
} as const;

const TAGS = ['burnbook', 'slo'];

export type Color = 'green' | 'yellow' | 'orange' | 'red' | 'transparent';

export interface DashboardOptions {
  /** Where burnbook serves its pages and runbooks. */
  urls: SiteUrls;
}

/** Budget left: gone below 0, running low under a quarter, comfortable from half. */
export const BUDGET_STEPS: Array<[number, Color]> = [
  [0, 'orange'],
  [0.25, 'yellow'],
  [0.5, 'green'],
];

/**
 * Burn rate: 1× spends exactly the budget over the period; the fastest tier's factor is where
 * it pages. Custom tiers may put that factor at or below 1, so the steps are kept increasing.
 */
export function burnRateSteps(fastestFactor: number): Array<[number, Color]> {
  return fastestFactor > 1
    ? [
        [1, 'yellow'],
        [fastestFactor, 'red'],
      ]
    : [[fastestFactor, 'red']];
}

/** Threshold steps, lowest first: the first colour holds below every value; printed as people write them. */
export function thresholds(base: Color, ...steps: Array<[number, Color]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([
      { value: null, color: base },
      ...steps.map(([value, color]) => ({ value: roundForPeople(value), color })),
    ]);
}

export const ALERT_STATE_MAPPINGS: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: {
      '0': { text: 'ok', color: 'transparent', index: 0 },
      '1': { text: 'pending', color: 'orange', index: 1 },
      '2': { text: 'firing', color: 'red', index: 2 },
    },
  },
];

export function link(title: string, url: string): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder(title)
    .type(dashboard.DashboardLinkType.Link)
    .url(url)
    .targetBlank(true);
}

type AnyPanel = StatPanel | StateTimelinePanel | TablePanel | TextPanel | TimeseriesPanel;

export interface PanelLayout {
  title: string;
  description?: string;
  /** Grid columns out of 24. */
  width: number;
  /** Grid rows of 30 px. */
  height: number;
  links?: dashboard.DashboardLinkBuilder[];
}

function place<P extends AnyPanel>(panel: P, layout: PanelLayout): P {
  panel.title(layout.title).span(layout.width).height(layout.height);
  if (layout.description) panel.description(layout.description);
  if (layout.links?.length) panel.links(layout.links);
  return panel;
}

function queried<P extends Exclude<AnyPanel, TextPanel>>(panel: P, queries: cog.Builder<cog.Dataquery>[]): P {
  panel.datasource(DATASOURCE).targets(queries);
  return panel;
}

export function textPanel(layout: PanelLayout, markdown: string): TextPanel {
  return place(new TextPanel(), layout).mode(TextMode.Markdown).content(markdown);
}

export function statPanel(layout: PanelLayout, query: string): StatPanel {
  return queried(place(new StatPanel(), layout), [instantQuery({ refId: 'A', expr: query })])
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .textMode(common.BigValueTextMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

export function timeseriesPanel(layout: PanelLayout, queries: Query[]): TimeseriesPanel {
  return queried(place(new TimeseriesPanel(), layout), queries.map(rangeQuery))
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .lineWidth(2)
    .fillOpacity(10)
    .spanNulls(false);
}

/** Draws the thresholds as dashed lines, e.g. where a tier starts to alert. */
export function dashedThresholds(panel: TimeseriesPanel): TimeseriesPanel {
  return panel.thresholdsStyle(
    new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
  );
}

export function stateTimelinePanel(layout: PanelLayout, query: Query): StateTimelinePanel {
  return queried(place(new StateTimelinePanel(), layout), [rangeQuery(query)])
    .mappings(ALERT_STATE_MAPPINGS)
    .showValue(common.VisibilityMode.Never)
    .mergeValues(true);
}

export function tablePanel(layout: PanelLayout, queries: Query[]): TablePanel {
  return queried(
    place(new TablePanel(), layout),
    queries.map((query) => instantQuery(query).format(PromQueryFormat.Table)),
  );
}

/**
 * What every burnbook dashboard shares: tags the dropdown of all of them finds, read-only (a
 * regeneration would overwrite edits), a day of history refreshed every minute, the data source picker.
 */
export function burnbookDashboard(
  title: string,
  uid: string,
  description: string,
): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([...TAGS])
    .readonly()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .withVariable(datasourceVariable())
    .link(
      new dashboard.DashboardLinkBuilder('SLO dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([...TAGS])
        .asDropdown(true)
        .keepTime(true),
    );
}

/** Grafana keys panel state and `viewPanel` links by id; numbering in order keeps them stable. */
export function numberPanels(board: dashboard.Dashboard): dashboard.Dashboard {
  board.panels?.forEach((panel, i) => {
    panel.id = i + 1;
  });
  return board;
}
