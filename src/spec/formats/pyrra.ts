import { z } from 'zod';
import { formatDuration, parseDuration } from '../../policy/duration.ts';
import { BASE_WINDOW_MS } from '../../policy/windows.ts';
import { formatSelector } from '../../promql/build.ts';
import { parseSelector, type Selector } from '../../promql/parse.ts';
import type { InputFormat } from '../format.ts';
import type { IssueProblem } from '../issues.ts';
import { RESERVED_LABELS } from '../model.ts';
import { burnbookName, parseWith, problem } from './foreign.ts';
import { Origins, readTranslated, type TranslateResult } from './translate.ts';

/**
 * Pyrra's `ServiceLevelObjective` (`pyrra.dev/v1alpha1`, kubernetes/api/v1alpha1). Pyrra's model
 * (slo/rules.go): four multi-window alerts whose windows scale with the SLO's window (1h/5m at 28d) and
 * burn factors 14, 7, 2, 1, all named `ErrorBudgetBurn` with `severity` critical or warning; the total
 * selector's equality matchers and `pyrra.dev/` metadata labels on every rule and alert.
 */

const API_VERSION = 'pyrra.dev/v1alpha1';
// Pyrra's own key is bool_gauge; the camelCase spelling is accepted too.
const query = z.object({ metric: z.string().min(1) }).strict();
const grouping = z.array(z.string()).optional();

const schema = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('ServiceLevelObjective'),
    metadata: z
      .object({
        name: z.string().min(1),
        namespace: z.string().optional(),
        labels: z.record(z.string(), z.string()).optional(),
        annotations: z.record(z.string(), z.string()).optional(),
      })
      .loose(),
    spec: z
      .object({
        description: z.string().optional(),
        target: z.union([z.string(), z.number()]),
        window: z.string(),
        indicator: z
          .object({
            ratio: z.object({ errors: query, total: query, grouping }).strict().optional(),
            latency: z.object({ success: query, total: query, grouping }).strict().optional(),
            latencyNative: z.object({ total: query, latency: z.string(), grouping }).strict().optional(),
            bool_gauge: z
              .object({ metric: z.string().min(1), grouping })
              .strict()
              .optional(),
            boolGauge: z
              .object({ metric: z.string().min(1), grouping })
              .strict()
              .optional(),
          })
          .strict(),
        alerting: z
          .object({
            disabled: z.boolean().optional(),
            burnrates: z.boolean().optional(),
            absent: z.boolean().optional(),
            name: z.string().optional(),
            absentName: z.string().optional(),
            severities: z
              .object({
                absent: z.string().optional(),
                fastBurn: z.string().optional(),
                mediumBurn: z.string().optional(),
                slowBurn: z.string().optional(),
                longTermBurn: z.string().optional(),
              })
              .strict()
              .optional(),
          })
          .strict()
          .optional(),
        partial_response_strategy: z.string().optional(),
        performanceOverAccuracy: z.boolean().optional(),
        ruleOutput: z.unknown().optional(),
      })
      .strict(),
    status: z.unknown().optional(),
  })
  .strict();

type Pyrra = z.infer<typeof schema>;

const PROPAGATED = 'pyrra.dev/';

/**
 * Pyrra's windows for an SLO window (slo/rules.go `Windows`): each a fraction of it rounded to the minute,
 * 1h/5m for 2m at 28 days; severities as Pyrra names them unless `alerting.severities` says otherwise.
 */
export function pyrraTiers(
  periodMs: number,
  severities: NonNullable<Pyrra['spec']['alerting']>['severities'],
) {
  const minutes = (divisor: number) => Math.round(periodMs / divisor / 60_000) * 60_000;
  const d = 28 * 24;
  return [
    {
      name: 'fast',
      severity: severities?.fastBurn ?? 'critical',
      factor: 14,
      longMs: minutes(d),
      shortMs: minutes(d * 12),
      forMs: minutes(d * 30),
    },
    {
      name: 'medium',
      severity: severities?.mediumBurn ?? 'critical',
      factor: 7,
      longMs: minutes(28 * 4),
      shortMs: minutes(d * 2),
      forMs: minutes(d * 4),
    },
    {
      name: 'slow',
      severity: severities?.slowBurn ?? 'warning',
      factor: 2,
      longMs: minutes(28),
      shortMs: minutes(28 * 12),
      forMs: minutes(d),
    },
    {
      name: 'long-term',
      severity: severities?.longTermBurn ?? 'warning',
      factor: 1,
      longMs: minutes(7),
      shortMs: minutes(28 * 4),
      forMs: minutes(28 * 8),
    },
  ];
}

/**
 * Pyrra's absent alert (slo/rules.go, `SLOMetricAbsent` unless `absentName`; severity critical unless
 * `severities.absent`), as burnbook's absent-SLI alert. Its `for` is Pyrra's AbsentDuration: the fastest
 * window's time to detect a total outage plus its `for`, to the nearest minute (burnbook's own rounds up).
 */
function pyrraAbsent(
  alerting: NonNullable<Pyrra['spec']['alerting']>,
  periodMs: number,
  objective: number,
): Record<string, string> | false {
  if (alerting.absent === false) return false;
  const fastest = pyrraTiers(periodMs, alerting.severities)[0] as ReturnType<typeof pyrraTiers>[number];
  const detectMs = Math.trunc((fastest.factor * (1 - objective / 100) * fastest.longMs) / 1000) * 1000;
  return {
    alertname: alerting.absentName || 'SLOMetricAbsent',
    severity: alerting.severities?.absent || 'critical',
    for: formatDuration(Math.round((detectMs + fastest.forMs) / 60_000) * 60_000),
  };
}

function selectorAt(text: string, path: PropertyKey[], problems: IssueProblem[]): Selector | undefined {
  const parsed = parseSelector(text);
  if (!('offset' in parsed)) return parsed;
  problems.push({
    path,
    message: parsed.message,
    offset: parsed.offset,
    ...(parsed.hint ? { hint: parsed.hint } : {}),
  });
  return undefined;
}

const sorted = (s: Selector) =>
  s.matchers
    .map((m) => `${m.name}${m.op}${m.value}`)
    .sort()
    .join(',');

/** A classic histogram's bucket and count selectors as burnbook's latency SLI, when they name the same series. */
function asLatency(success: Selector, total: Selector): { histogram: string; threshold: string } | undefined {
  const le = success.matchers.find((m) => m.name === 'le' && m.op === '=');
  const base = success.metric.replace(/_bucket$/, '');
  if (!le || !success.metric.endsWith('_bucket') || total.metric !== `${base}_count`) return undefined;
  const rest = { metric: base, matchers: success.matchers.filter((m) => m !== le) };
  if (sorted(rest) !== sorted(total)) return undefined;
  return { histogram: formatSelector(rest), threshold: le.value };
}

function translate(source: Record<string, unknown>): TranslateResult {
  const parsed = parseWith(schema, source);
  if (parsed.problems) return { translations: [], problems: parsed.problems };
  const { metadata, spec } = parsed.data;
  const problems: IssueProblem[] = [];
  const origins = new Origins();
  const notes: string[] = [];
  const service = burnbookName(metadata.namespace ?? 'default') ?? 'default';
  notes.push(
    `Pyrra has no service: the namespace ${metadata.namespace ?? '(none: default)'} is the service here.`,
  );
  const name = burnbookName(metadata.name);
  if (!name)
    problems.push(problem(['metadata', 'name'], `name "${metadata.name}" leaves no usable SLO name`));
  else if (name !== metadata.name) notes.push(`SLO "${metadata.name}" is "${name}" here.`);
  origins.link(['service'], ['metadata', 'namespace'], false).link(['slos', 0], ['metadata', 'name'], false);
  origins.link(['slos', 0, 'name'], ['metadata', 'name'], name === metadata.name);

  const objective = Number(spec.target);
  if (!Number.isFinite(objective))
    problems.push(
      problem(['spec', 'target'], `target "${spec.target}" is not a number`, 'e.g. target: "99.5"'),
    );
  origins.link(['slos', 0, 'objective'], ['spec', 'target'], false);
  const periodMs = parseDuration(spec.window);
  if (!periodMs)
    problems.push(
      problem(['spec', 'window'], `window "${spec.window}" is not a duration`, 'e.g. window: 4w'),
    );
  origins.link(['slos', 0, 'period'], ['spec', 'window'], false);

  const ind = spec.indicator;
  const at = ['spec', 'indicator'];
  let sli: Record<string, unknown> | undefined;
  let total: Selector | undefined;
  let group: string[] = [];
  const to = ['slos', 0, 'sli'];
  const gauge = ind.bool_gauge ?? ind.boolGauge;
  const gaugeKey = ind.bool_gauge ? 'bool_gauge' : 'boolGauge';
  if (ind.latencyNative) {
    problems.push(
      problem(
        [...at, 'latencyNative'],
        'latencyNative reads native histograms (histogram_fraction), which the Prometheus burnbook checks against (2.42) cannot evaluate',
        'expose a classic histogram and use latency: {success: <_bucket{le="…"}>, total: <_count>}',
      ),
    );
  } else if (ind.ratio) {
    sli = { ratio: { errors: ind.ratio.errors.metric, total: ind.ratio.total.metric } };
    origins.link([...to, 'ratio', 'errors'], [...at, 'ratio', 'errors', 'metric']);
    origins.link([...to, 'ratio', 'total'], [...at, 'ratio', 'total', 'metric']);
    total = selectorAt(ind.ratio.total.metric, [...at, 'ratio', 'total', 'metric'], problems);
    group = ind.ratio.grouping ?? [];
  } else if (ind.latency) {
    const success = selectorAt(ind.latency.success.metric, [...at, 'latency', 'success', 'metric'], problems);
    total = selectorAt(ind.latency.total.metric, [...at, 'latency', 'total', 'metric'], problems);
    group = ind.latency.grouping ?? [];
    if (success && total) {
      const latency = asLatency(success, total);
      if (latency) sli = { latency };
      else {
        // Buckets and count of different series: the difference of their rates, as Pyrra computes it.
        const by = group.length ? ` by (${group.join(', ')})` : '';
        const rate = (s: string) => `sum${by} (rate(${s}[{{window}}]))`;
        sli = {
          query: {
            errors: `${rate(ind.latency.total.metric)} - ${rate(ind.latency.success.metric)}`,
            total: rate(ind.latency.total.metric),
          },
        };
        notes.push(
          "The latency selectors name different series, so the SLI is a query: total rate minus the bucket's.",
        );
      }
      origins.link(to, [...at, 'latency'], false);
    }
  } else if (gauge) {
    sli = { boolGauge: { metric: gauge.metric } };
    origins.link([...to, 'boolGauge', 'metric'], [...at, gaugeKey, 'metric']);
    total = selectorAt(gauge.metric, [...at, gaugeKey, 'metric'], problems);
    group = gauge.grouping ?? [];
  } else {
    problems.push(problem(at, 'expected one of ratio | latency | latencyNative | bool_gauge'));
  }
  origins.link(['slos', 0, 'groupBy'], [...at], false);

  // Pyrra's rule labels: the total selector's equality matchers (not the grouped ones) and the
  // `pyrra.dev/`-prefixed labels of the object, prefix dropped.
  const labels: Record<string, string> = {};
  for (const m of total?.matchers ?? []) {
    if (m.op === '=' && m.name !== '__name__' && !group.includes(m.name)) labels[m.name] = m.value;
  }
  for (const [key, value] of Object.entries(metadata.labels ?? {})) {
    if (key.startsWith(PROPAGATED)) labels[key.slice(PROPAGATED.length)] = value;
  }
  for (const reserved of RESERVED_LABELS.filter((l) => l in labels)) {
    notes.push(`Label "${reserved}" from the selector is set by burnbook itself and is left out.`);
    delete labels[reserved];
  }
  origins.link(['slos', 0, 'labels'], ['metadata'], false);
  const annotations = Object.fromEntries(
    Object.entries(metadata.annotations ?? {})
      .filter(([key]) => key.startsWith(PROPAGATED))
      .map(([key, value]) => [key.slice(PROPAGATED.length), value]),
  );

  const alerting = spec.alerting ?? {};
  const disabled = alerting.disabled === true || alerting.burnrates === false;
  const tiers = periodMs
    ? pyrraTiers(periodMs, alerting.severities).flatMap((t) => {
        if (t.longMs <= BASE_WINDOW_MS) {
          problems.push(
            problem(
              ['spec', 'window'],
              `window ${spec.window} gives Pyrra's ${t.name} tier a ${formatDuration(t.longMs)} long window; burnbook measures windows longer than 5m`,
              'use a window of 1d or longer',
            ),
          );
          return [];
        }
        if (t.factor * (1 - objective / 100) >= 1) {
          notes.push(
            `Pyrra's ${t.name} tier would need an error ratio above 1 at target ${spec.target} (factor ${t.factor}), so it can never fire; it is left out.`,
          );
          return [];
        }
        const shortMs = Math.max(t.shortMs, BASE_WINDOW_MS);
        if (shortMs !== t.shortMs) {
          notes.push(
            `Pyrra's ${t.name} tier reads a ${formatDuration(t.shortMs)} short window at ${spec.window}; burnbook's shortest window is 5m, so it reads 5m.`,
          );
        }
        return [
          {
            name: t.name,
            severity: t.severity,
            factor: t.factor,
            long: formatDuration(t.longMs),
            short: formatDuration(shortMs),
            for: formatDuration(t.forMs),
          },
        ];
      })
    : [];
  origins.link(['slos', 0, 'alerting'], ['spec', 'alerting'], false);
  origins.link(['slos', 0, 'alerting', 'tiers'], ['spec', 'window'], false);
  if (alerting.absent !== false)
    notes.push(
      "Pyrra's absent alert is burnbook's absent-SLI alert (`alerting.absent`), with Pyrra's name, severity and `for`. It fires when burnbook's 5m total recording is gone (the total series, or a latency SLI's bucket), not on Pyrra's absent() of the errors series: errors that have not happened yet are 0, not an alert.",
    );
  notes.push(
    "Alerts keep Pyrra's name and severities; `slo_tier` (fast, medium, slow, long-term) replaces Pyrra's `long`, `short` and `exhaustion` labels.",
  );

  if (problems.length || !sli) return { translations: [], problems };
  const document = {
    apiVersion: 'burnbook/v1',
    service,
    slos: [
      {
        name,
        ...(spec.description ? { description: spec.description } : {}),
        objective,
        period: formatDuration(periodMs as number),
        ...(Object.keys(labels).length ? { labels } : {}),
        sli,
        ...(group.length ? { groupBy: group } : {}),
        alerting: {
          alertname: alerting.name || 'ErrorBudgetBurn',
          ...(Object.keys(annotations).length ? { annotations } : {}),
          ...(disabled ? { disabled: true } : {}),
          tiers,
          absent: pyrraAbsent(alerting, periodMs as number, objective),
        },
      },
    ],
  };
  return {
    translations: [{ document, origins, notes, origin: `Pyrra ServiceLevelObjective (${API_VERSION})` }],
    problems,
  };
}

export const pyrra: InputFormat = {
  name: 'Pyrra ServiceLevelObjective',
  accepts: (document) => document.apiVersion === API_VERSION && document.kind === 'ServiceLevelObjective',
  read: readTranslated(translate),
};
