import {
  alertLabels,
  alertName,
  errorRatioRecord,
  type SloAlert,
  sloIdentity,
  sloLabels,
} from '../../conventions/names.ts';
import { tierFacts } from '../../policy/burn.ts';
import { formatDuration } from '../../policy/duration.ts';
import { formatNumber } from '../../policy/number.ts';
import { BASE_WINDOW_MS } from '../../policy/windows.ts';
import { labelSelector } from '../../promql/build.ts';
import { errorsLag, sliTestSeries } from '../../sli/index.ts';
import type { Counts, TestSeries } from '../../sli/kind.ts';
import { alertingTiers, type Slo } from '../../spec/model.ts';
import { absentAnnotations } from './absent.ts';
import { type AlertOptions, type AnnotationValues, alertAnnotations } from './alerting.ts';
import { goPrintfG3 } from './go-format.ts';
import { renderTemplate, type TemplateData } from './go-template.ts';

/**
 * A `promtool test rules` file per SLO that proves the math: for every tier, healthy traffic
 * for one long window, then a burn at twice the tier's threshold. The tier must be quiet at
 * 80% of the time the math says it needs to detect, and firing once the long window is all
 * burn. A burn at 90% of the threshold must never fire it. groupBy SLOs burn one group of two.
 * The absent-SLI alert must stay quiet while the series are there and fire once they have been
 * gone for its `for`; for a latency SLI, also when the threshold's bucket never existed, while the
 * error ratio reads nothing rather than 0.
 */

const MINUTE = 60_000;

interface Phase {
  minutes: number;
  /** Events per minute. */
  good: number;
  bad: number;
}

interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

interface AlertCheck {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpectedAlert[];
}

interface ExprCheck {
  expr: string;
  eval_time: string;
  exp_samples: Array<{ labels: string; value: number }>;
}

export interface PromtoolTestCase {
  name: string;
  interval: string;
  input_series: Array<{ series: string; values: string }>;
  alert_rule_test: AlertCheck[];
  promql_expr_test?: ExprCheck[];
}

export interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: PromtoolTestCase[];
}

/** promtool's expanding notation for a counter through phases: `0+10x59 600+20x29`. */
function counterValues(phases: Phase[], counts: Counts): string {
  const per = (p: Phase) => (counts === 'good' ? p.good : counts === 'bad' ? p.bad : p.good + p.bad);
  let value = 0;
  return phases
    .map((p, i) => {
      const step = per(p);
      if (i > 0) value += step;
      const segment = `${formatNumber(value)}+${formatNumber(step)}x${p.minutes - 1}`;
      value += step * (p.minutes - 1);
      return segment;
    })
    .join(' ');
}

function withLabel(selector: string, name: string, value: string): string {
  const label = `${name}=${JSON.stringify(value)}`;
  return selector.includes('{') ? selector.replace(/\}$/, `, ${label}}`) : `${selector}{${label}}`;
}

/** Group label values for a groupBy SLO: the first group burns, the second stays healthy. */
function groups(slo: Slo): Array<Record<string, string>> {
  if (!slo.groupBy.length) return [{}];
  return ['burning', 'healthy'].map((g) => Object.fromEntries(slo.groupBy.map((l) => [l, g])));
}

function roundUp(ms: number, step: number): number {
  return Math.ceil(ms / step) * step;
}

function roundDown(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

/** Every value rendered as Prometheus renders alert labels and annotations; undefined if one cannot be predicted. */
function renderAll(values: Record<string, string>, data: TemplateData): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [key, text] of Object.entries(values)) {
    const rendered = text.includes('{{') ? renderTemplate(text, data) : text;
    if (rendered === undefined) return undefined;
    out[key] = rendered;
  }
  return out;
}

export interface TestPlan {
  slo: Slo;
  ruleFile: string;
  options: AlertOptions;
}

export function promtoolTests({ slo, ruleFile, options }: TestPlan): PromtoolTestFile | undefined {
  const series = sliTestSeries(slo.sli);
  if (!series) return undefined;
  const longest = Math.max(...slo.alerting.tiers.map((t) => t.longMs));
  // promtool loads at most 10,000 samples per query, and evaluates every rule at every step: coarser evaluation
  // keeps windows of 3 hours and more (and the period window reading all of them) under that and quick. Not
  // coarser than 10m: a window's 5m recordings older than its last 5 minutes must hold a sample or two.
  const evalMs = longest >= 3 * 60 * MINUTE ? 10 * MINUTE : MINUTE;
  const fastestLongMin = Math.min(...slo.alerting.tiers.map((t) => t.longMs)) / MINUTE;
  // Enough traffic that minEvents never masks the burn under test.
  const rate = Math.max(1000, Math.ceil((4 * (slo.minEvents ?? 0)) / fastestLongMin));
  const groupValues = groups(slo);

  const inputs = (burning: Phase[], healthy: Phase[], only: TestSeries[] = series) =>
    groupValues.flatMap((group, g) =>
      only.map((s) => ({
        series: Object.entries(group).reduce((sel, [k, v]) => withLabel(sel, k, v), s.selector),
        values: counterValues(g === 0 ? burning : healthy, s.counts),
      })),
    );

  /** The groupBy labels a sample has: an absent() sample has none. */
  const groupOf = (sample: Record<string, string>): Record<string, string> => {
    const group: Record<string, string> = {};
    for (const label of slo.groupBy) {
      const value = sample[label];
      if (value !== undefined) group[label] = value;
    }
    return group;
  };

  /**
   * The alert Prometheus fires from one sample of the rule's expression (`sample`: its labels), labels and
   * annotations rendered as Prometheus renders them; undefined when a template of the spec's is beyond what
   * burnbook can predict.
   */
  const expected = (
    alert: SloAlert,
    annotations: (values: AnnotationValues) => Record<string, string>,
    sample: Record<string, string>,
    value: number,
  ): ExpectedAlert | undefined => {
    const group = groupOf(sample);
    const data = { labels: sample, value };
    const labels = renderAll({ ...alertLabels(slo, alert), ...group }, data);
    const rendered = renderAll(
      annotations({ value: goPrintfG3(value), label: (name) => sample[name] ?? '' }),
      data,
    );
    return labels && rendered ? { exp_labels: labels, exp_annotations: rendered } : undefined;
  };
  // Without a prediction of their text, the alerts are proven firing by their ALERTS series instead.
  const fires = (
    alert: SloAlert,
    annotations: (values: AnnotationValues) => Record<string, string>,
    samples: Array<Record<string, string>>,
    value: number,
    ms: number,
  ): Pick<PromtoolTestCase, 'alert_rule_test' | 'promql_expr_test'> => {
    const alerts = samples.map((sample) => expected(alert, annotations, sample, value));
    const name = alertName(slo, alert);
    if (alerts.every((a) => a !== undefined))
      return { alert_rule_test: [{ eval_time: formatDuration(ms), alertname: name, exp_alerts: alerts }] };
    return {
      alert_rule_test: [],
      promql_expr_test: samples.map((sample) => {
        const group = groupOf(sample);
        return {
          expr: `count(${labelSelector('ALERTS', { alertname: name, alertstate: 'firing', ...group })})`,
          eval_time: formatDuration(ms),
          exp_samples: [{ labels: '{}', value: 1 }],
        };
      }),
    };
  };
  // A tier's alert comes from a recorded ratio: the SLO's labels and the group's.
  const burning = { ...sloLabels(slo), ...groupValues[0] };

  const tests: PromtoolTestCase[] = alertingTiers(slo).flatMap((tier) => {
    const { threshold } = tierFacts(tier, slo.periodMs, slo.objective);
    const name = alertName(slo, tier);
    const healthyMs = tier.longMs;
    const burn = Math.min(2 * threshold, (threshold + 1) / 2);
    const detectMs = (tier.longMs * threshold) / burn;
    const fireAt = roundUp(healthyMs + tier.longMs + tier.forMs + 2 * evalMs + 5 * MINUTE, evalMs);
    const quietAt = roundDown(healthyMs + 0.8 * detectMs, evalMs);
    const totalMin = fireAt / MINUTE + 10;
    const phases = (ratio: number): Phase[] => [
      { minutes: healthyMs / MINUTE, good: rate, bad: 0 },
      { minutes: totalMin - healthyMs / MINUTE, good: rate * (1 - ratio), bad: rate * ratio },
    ];
    const steady: Phase[] = [{ minutes: totalMin, good: rate, bad: 0 }];
    const at = (ms: number) => formatDuration(ms);
    const cases: PromtoolTestCase[] = [
      (() => {
        const firing = fires(tier, (v) => alertAnnotations(slo, tier, options, v), [burning], burn, fireAt);
        return {
          name: `${name}: quiet until the math says, then fires at 2x the ${formatNumber(threshold)} threshold`,
          interval: '1m',
          input_series: inputs(phases(burn), steady),
          alert_rule_test: [
            { eval_time: at(quietAt), alertname: name, exp_alerts: [] },
            ...firing.alert_rule_test,
          ],
          ...(firing.promql_expr_test ? { promql_expr_test: firing.promql_expr_test } : {}),
        };
      })(),
      {
        name: `${name}: never fires at 0.9x the threshold`,
        interval: '1m',
        input_series: inputs(phases(0.9 * threshold), steady),
        alert_rule_test: [
          { eval_time: at(roundDown(healthyMs + detectMs * 2, evalMs)), alertname: name, exp_alerts: [] },
          { eval_time: at(fireAt), alertname: name, exp_alerts: [] },
        ],
      },
    ];
    if (slo.minEvents !== undefined) {
      // Half of minEvents per long window, every one of them an error: still no alert.
      const trickle = slo.minEvents / 2 / (tier.longMs / MINUTE);
      cases.push({
        name: `${name}: quiet below minEvents (${slo.minEvents}) even at 100% errors`,
        interval: '1m',
        input_series: inputs([{ minutes: totalMin, good: 0, bad: trickle }], steady),
        alert_rule_test: [{ eval_time: at(fireAt), alertname: name, exp_alerts: [] }],
      });
    }
    return slo.alerting.alertname === undefined
      ? cases
      : cases.map((c) => byAlert(c, slo, tier, groupValues[0]));
  });

  const absent = slo.alerting.absent;
  if (absent) {
    const name = alertName(slo, absent);
    const annotations = (v: AnnotationValues) => absentAnnotations(slo, absent, options, v);
    const at = (ms: number) => formatDuration(ms);
    // The 5m rate needs two samples: it is gone 3 to 4 minutes after the last one (Prometheus 3 / 2).
    const goneAt = roundUp(30 * MINUTE, evalMs);
    const activeAt = goneAt + 3 * MINUTE;
    const fireAt = roundUp(activeAt + MINUTE + absent.forMs + 2 * evalMs, evalMs);
    const steady = (minutes: number): Phase[] => [{ minutes, good: rate, bad: 0 }];
    const quiet = [goneAt - evalMs, roundDown(activeAt + absent.forMs - MINUTE, evalMs)].filter(
      (ms, i, all) => ms > 0 && all.indexOf(ms) === i,
    );
    const stopped = fires(absent, annotations, [sloIdentity(slo)], 1, fireAt);
    const cases: PromtoolTestCase[] = [];
    cases.push({
      name: `${name}: quiet while the series of the SLI are there, fires once they have been gone for ${at(absent.forMs)}`,
      interval: '1m',
      input_series: inputs(steady(goneAt / MINUTE), steady(goneAt / MINUTE)),
      alert_rule_test: [
        ...quiet.map((ms) => ({ eval_time: at(ms), alertname: name, exp_alerts: [] })),
        ...stopped.alert_rule_test,
      ],
      ...(stopped.promql_expr_test ? { promql_expr_test: stopped.promql_expr_test } : {}),
    });
    if (!errorsLag(slo.sli)) {
      // Only the series that count every event: the bucket of the threshold does not exist.
      const fireMissing = roundUp(2 * MINUTE + absent.forMs + 2 * evalMs, evalMs);
      const minutes = fireMissing / MINUTE + 10;
      const totals = series.filter((s) => s.counts === 'all');
      const groups = groupValues.map((g) => ({ ...sloLabels(slo), ...g }));
      const missing = fires(absent, annotations, groups, 1, fireMissing);
      cases.push({
        name: `${name}: fires when the bucket of the SLI does not exist, and the error ratio reads nothing, never 0`,
        interval: '1m',
        input_series: inputs(steady(minutes), steady(minutes), totals),
        alert_rule_test: missing.alert_rule_test,
        promql_expr_test: [
          ...(missing.promql_expr_test ?? []),
          {
            expr: labelSelector(errorRatioRecord(BASE_WINDOW_MS), sloIdentity(slo)),
            eval_time: at(fireMissing),
            exp_samples: [],
          },
        ],
      });
    }
    tests.push(...(absent.alertname === undefined ? cases : cases.map((c) => byAlert(c, slo, absent))));
  }
  if (!tests.length) return undefined;

  return { rule_files: [ruleFile], evaluation_interval: formatDuration(evalMs), tests };
}

/**
 * When an alert's name is shared (every tier's, `alerting.alertname`, or absent alerts across SLOs), promtool's
 * alert_rule_test would compare every alert of that name at once (a slower tier may rightly fire alongside the one
 * under test, another SLO's absent alert beside this one's): each check reads ALERTS instead. A firing alert is
 * found by all its expected labels (which hold the tier and the SLO); a quiet one by the tier and SLO labels (and
 * `group`, when one group of a groupBy SLO is the one burning). Annotations are not compared this way.
 */
function byAlert(
  test: PromtoolTestCase,
  slo: Slo,
  alert: SloAlert,
  group: Record<string, string> = {},
): PromtoolTestCase {
  const own = { slo_tier: alert.name, ...sloIdentity(slo) };
  const count = (alertname: string, labels: Record<string, string>) =>
    `count(${labelSelector('ALERTS', { alertname, alertstate: 'firing', ...labels })})`;
  const checks = test.alert_rule_test.flatMap((check): ExprCheck[] =>
    check.exp_alerts.length
      ? check.exp_alerts.map((expected) => ({
          expr: count(check.alertname, expected.exp_labels),
          eval_time: check.eval_time,
          exp_samples: [{ labels: '{}', value: 1 }],
        }))
      : [{ expr: count(check.alertname, { ...own, ...group }), eval_time: check.eval_time, exp_samples: [] }],
  );
  // A check fires() already wrote as ALERTS (a template it cannot predict) gets the alert's labels too.
  const matchers = labelSelector('', own).slice(1, -1);
  const written = (test.promql_expr_test ?? []).map((e) => ({
    ...e,
    expr: e.expr.replace('ALERTS{', `ALERTS{${matchers}, `),
  }));
  return { ...test, alert_rule_test: [], promql_expr_test: [...checks, ...written] };
}
