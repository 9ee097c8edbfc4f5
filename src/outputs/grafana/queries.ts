import type * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { formatSelector, labelList } from '../../promql/build.ts';
import type { LabelMatcher } from '../../promql/parse.ts';

/** The PromQL the dashboards send, and where they send it. */

/** `${name}`: how Grafana interpolates a variable, a field (`__data.fields.slo`) or a built-in. */
export function grafanaVariable(name: string): string {
  return `\${${name}}`;
}

/**
 * Every panel and query reads the dashboard's `datasource` variable. `${DS_...}` inputs only
 * work through the import dialog; file provisioning leaves them unresolved.
 */
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: grafanaVariable('datasource') };

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus');
}

/** A selector for one of burnbook's series: `metric{slo_service="checkout", slo="availability", ...}`. */
export function selector(metric: string, matchers: readonly LabelMatcher[]): string {
  return formatSelector({ metric, matchers: [...matchers] });
}

export function equals(labels: Record<string, string>): LabelMatcher[] {
  return Object.entries(labels).map(([name, value]) => ({ name, op: '=', value }));
}

/**
 * 2 while a burn-rate alert fires, 1 while it is pending, one series per value of `by`:
 * state panels and table cells map these numbers to words and colours.
 */
export function alertStateExpr(matchers: readonly LabelMatcher[], by: readonly string[]): string {
  const state = (alertstate: string) =>
    `max by ${labelList(by)} (${selector('ALERTS', [...matchers, { name: 'alertstate', op: '=', value: alertstate }])})`;
  return `${state('firing')} * 2 or ${state('pending')}`;
}

export interface Query {
  refId: string;
  expr: string;
  legend?: string;
}

/** A range query, as time series panels run them. */
export function rangeQuery({ refId, expr, legend }: Query): DataqueryBuilder {
  const query = new DataqueryBuilder().datasource(DATASOURCE).refId(refId).expr(expr).range();
  return legend === undefined ? query : query.legendFormat(legend);
}

/** One value per series at the end of the range, as stats and tables show them. */
export function instantQuery({ refId, expr }: Query): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DATASOURCE).refId(refId).expr(expr).instant();
}

/** Marks every graph of the dashboard where a burn-rate alert fired. */
export function firingAnnotation(matchers: readonly LabelMatcher[]): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name('Burn-rate alerts firing')
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor('red')
    .expr(selector('ALERTS', [...matchers, { name: 'alertstate', op: '=', value: 'firing' }]))
    .step('1m')
    .titleFormat('{{alertname}}')
    .textFormat('{{slo}}: {{slo_tier}} tier ({{severity}})')
    .tagKeys('slo,slo_tier,severity');
}
