import { z } from 'zod';
import type { Catalog, CatalogEntry } from '../catalog.ts';
import type { InputFormat } from '../format.ts';
import type { IssueProblem } from '../issues.ts';
import { burnbookName, parseWith, problem } from './foreign.ts';
import { conditionTier, period, ratioSli, rawSli } from './openslo.ts';
import { Origins, readTranslated, type TranslateResult } from './translate.ts';

/**
 * OpenSLO v1 (github.com/OpenSLO/OpenSLO, README "Specification"): an `SLO` with an inline `indicator` or an
 * `indicatorRef` to an `SLI` object, a `ratioMetric` of good or bad over total on Prometheus metric sources
 * (inline `type`, or a `DataSource` named by `metricSourceRef`), a rolling `timeWindow`, `budgetingMethod:
 * Occurrences`, objectives with `target` or `targetPercent`, and `alertPolicies` whose burn-rate conditions
 * become tiers. The other kinds (SLI, DataSource, AlertPolicy, AlertCondition, Service, AlertNotificationTarget)
 * hold no SLO of their own; an SLO finds them by name anywhere in the run.
 */

const API_VERSION = 'openslo/v1';
const VERSIONS = [API_VERSION];
const PROMQL_SOURCES = /^(prometheus|thanos|mimir|cortex|victoriametrics)$/i;

const metadata = z.object({ name: z.string().min(1), displayName: z.string().optional() }).loose();
const metricSource = z
  .object({
    metricSourceRef: z.string().optional(),
    type: z.string().optional(),
    spec: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
const metric = z.object({ metricSource }).strict();
const sliSpec = z
  .object({
    description: z.string().optional(),
    thresholdMetric: metric.optional(),
    ratioMetric: z
      .object({
        counter: z.boolean().optional(),
        good: metric.optional(),
        bad: metric.optional(),
        total: metric.optional(),
        rawType: z.enum(['success', 'failure']).optional(),
        raw: metric.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
const inlineSli = z.object({ metadata: metadata.optional(), spec: sliSpec }).strict();
const conditionSpec = z
  .object({
    description: z.string().optional(),
    severity: z.string(),
    condition: z
      .object({
        kind: z.string().optional(),
        op: z.string(),
        threshold: z.number(),
        lookbackWindow: z.string(),
        alertAfter: z.string().optional(),
      })
      .strict(),
  })
  .strict();
const policySpec = z
  .object({
    description: z.string().optional(),
    alertWhenNoData: z.boolean().optional(),
    alertWhenResolved: z.boolean().optional(),
    alertWhenBreaching: z.boolean().optional(),
    conditions: z.array(
      z.union([
        z.object({ conditionRef: z.string() }).strict(),
        z.object({ kind: z.literal('AlertCondition').optional(), metadata, spec: conditionSpec }).strict(),
      ]),
    ),
    notificationTargets: z.array(z.unknown()).optional(),
  })
  .strict();
const sloSchema = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('SLO'),
    metadata,
    spec: z
      .object({
        description: z.string().optional(),
        service: z.string().min(1),
        indicator: inlineSli.optional(),
        indicatorRef: z.string().optional(),
        timeWindow: z
          .array(
            z
              .object({
                duration: z.string(),
                isRolling: z.boolean().optional(),
                calendar: z.unknown().optional(),
              })
              .strict(),
          )
          .optional(),
        budgetingMethod: z.string(),
        objectives: z
          .array(
            z
              .object({
                displayName: z.string().optional(),
                op: z.string().optional(),
                value: z.number().optional(),
                target: z.number().optional(),
                targetPercent: z.number().optional(),
                timeSliceTarget: z.number().optional(),
                timeSliceWindow: z.union([z.string(), z.number()]).optional(),
                indicator: inlineSli.optional(),
                indicatorRef: z.string().optional(),
                compositeWeight: z.number().optional(),
              })
              .strict(),
          )
          .min(1),
        alertPolicies: z
          .array(
            z.union([
              z.object({ alertPolicyRef: z.string() }).strict(),
              z.object({ kind: z.literal('AlertPolicy').optional(), metadata, spec: policySpec }).strict(),
            ]),
          )
          .nullish(),
      })
      .strict(),
  })
  .strict();

type SliSpec = z.infer<typeof sliSpec>;
type Path = PropertyKey[];

/** A referenced object's `spec`, checked; problems name the object and where it is. */
function referenced<T>(
  catalog: Catalog,
  kind: string,
  name: string,
  schema: z.ZodType<T>,
  at: Path,
  problems: IssueProblem[],
): T | undefined {
  const entry: CatalogEntry | undefined = catalog.find(VERSIONS, kind, name);
  if (!entry) {
    problems.push(
      problem(
        at,
        `no ${kind} named "${name}" among the files read`,
        `pass the file that defines ${kind} ${name} too`,
      ),
    );
    return undefined;
  }
  const parsed = schema.safeParse(entry.document.spec);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  problems.push(
    problem(
      at,
      `${kind} "${name}" (${entry.file}:${entry.line}) is not valid: spec.${first?.path.join('.')}: ${first?.message}`,
    ),
  );
  return undefined;
}

/** The PromQL of one metric source, or a problem: burnbook reads Prometheus and what speaks PromQL. */
function promql(
  source: z.infer<typeof metricSource>,
  at: Path,
  catalog: Catalog,
  problems: IssueProblem[],
): string | undefined {
  let type = source.type;
  if (!type && source.metricSourceRef) {
    const ds = referenced(
      catalog,
      'DataSource',
      source.metricSourceRef,
      z.object({ type: z.string() }).loose(),
      [...at, 'metricSourceRef'],
      problems,
    );
    type = ds?.type;
  }
  if (!type || !PROMQL_SOURCES.test(type)) {
    problems.push(
      problem(
        at,
        `metric source type ${type ?? '(none)'} is not Prometheus`,
        'burnbook reads PromQL: type Prometheus (or Thanos, Mimir, Cortex, VictoriaMetrics)',
      ),
    );
    return undefined;
  }
  const query = source.spec?.query ?? source.spec?.promql;
  if (typeof query !== 'string' || !query.trim()) {
    problems.push(problem([...at, 'spec'], 'expected the PromQL under spec.query'));
    return undefined;
  }
  return query;
}

function sliOf(
  spec: SliSpec,
  at: Path,
  to: Path,
  origins: Origins,
  catalog: Catalog,
  problems: IssueProblem[],
) {
  if (spec.thresholdMetric || !spec.ratioMetric) {
    problems.push(
      problem(
        at,
        'burnbook reads ratio metrics (good or bad over total, or raw); a threshold metric has no events to count',
      ),
    );
    return undefined;
  }
  const r = spec.ratioMetric;
  const m = (key: 'good' | 'bad' | 'total' | 'raw'): [string, Path] | undefined => {
    const source = r[key]?.metricSource;
    const path = [...at, 'ratioMetric', key, 'metricSource'];
    const query = source && promql(source, path, catalog, problems);
    return query === undefined
      ? undefined
      : [query, [...path, 'spec', source?.spec?.query === undefined ? 'promql' : 'query']];
  };
  if (r.raw) {
    const raw = m('raw');
    if (!r.rawType) problems.push(problem([...at, 'ratioMetric'], 'raw needs rawType: success or failure'));
    return raw && r.rawType ? rawSli(raw[0], raw[1], r.rawType, to, origins, problems) : undefined;
  }
  if (r.counter === false) {
    problems.push(
      problem(
        [...at, 'ratioMetric', 'counter'],
        'counter: false (gauges): burnbook counts events from counters',
        'use counters, or a raw ratio',
      ),
    );
    return undefined;
  }
  if (!r.total || !r.good === !r.bad) {
    problems.push(problem([...at, 'ratioMetric'], 'expected total with exactly one of good or bad'));
    return undefined;
  }
  const total = m('total');
  const good = r.good ? m('good') : undefined;
  const bad = r.bad ? m('bad') : undefined;
  if (!total || (!good && !bad)) return undefined;
  return ratioSli({ total, ...(good ? { good } : {}), ...(bad ? { bad } : {}) }, to, origins, problems);
}

function translate(document: Record<string, unknown>, catalog: Catalog): TranslateResult {
  if (document.kind !== 'SLO') return { translations: [], problems: [] };
  const parsed = parseWith(sloSchema, document);
  if (parsed.problems) return { translations: [], problems: parsed.problems };
  const { metadata: meta, spec } = parsed.data;
  const problems: IssueProblem[] = [];
  const origins = new Origins();
  const notes: string[] = [];
  const service = burnbookName(spec.service);
  if (!service)
    problems.push(problem(['spec', 'service'], `service "${spec.service}" leaves no usable name`));
  origins.link(['service'], ['spec', 'service'], service === spec.service);

  if (spec.budgetingMethod !== 'Occurrences') {
    problems.push(
      problem(
        ['spec', 'budgetingMethod'],
        `budgetingMethod ${spec.budgetingMethod}: burnbook budgets occurrences (bad events over all events)`,
        'use budgetingMethod: Occurrences',
      ),
    );
  }
  const windows = spec.timeWindow ?? [];
  let periodText: string | undefined = '30d';
  if (windows.length > 1) problems.push(problem(['spec', 'timeWindow'], 'expected exactly one time window'));
  const window = windows[0];
  if (window) {
    if (window.calendar !== undefined || window.isRolling === false) {
      problems.push(
        problem(
          ['spec', 'timeWindow', 0],
          'burnbook budgets over a rolling window; a calendar-aligned one is not supported',
          'isRolling: true',
        ),
      );
    }
    periodText = period(window.duration, ['spec', 'timeWindow', 0, 'duration'], problems);
  } else notes.push("No timeWindow: 30d, burnbook's default.");

  // Alert policies' burn-rate conditions are the tiers; without any, burnbook's default tiers.
  const tiers: Record<string, unknown>[] = [];
  // A policy that alerts on no data: burnbook's absent-SLI alert, with the severity of its condition.
  let noDataSeverity: unknown;
  (spec.alertPolicies ?? []).forEach((ref, p) => {
    const at: Path = ['spec', 'alertPolicies', p];
    const policy =
      'alertPolicyRef' in ref
        ? referenced(
            catalog,
            'AlertPolicy',
            ref.alertPolicyRef,
            policySpec,
            [...at, 'alertPolicyRef'],
            problems,
          )
        : ref.spec;
    policy?.conditions.forEach((c, i) => {
      const cAt: Path =
        'alertPolicyRef' in ref ? [...at, 'alertPolicyRef'] : [...at, 'spec', 'conditions', i];
      const found =
        'conditionRef' in c
          ? {
              name: c.conditionRef,
              spec: referenced(
                catalog,
                'AlertCondition',
                c.conditionRef,
                conditionSpec,
                [...cAt, 'conditionRef'],
                problems,
              ),
            }
          : { name: c.metadata.name, spec: c.spec };
      if (!found.spec) return;
      const tier = conditionTier(
        { name: found.name, severity: found.spec.severity, ...found.spec.condition },
        'conditionRef' in c || 'alertPolicyRef' in ref ? cAt : [...cAt, 'spec', 'condition'],
        problems,
      );
      if (tier) tiers.push(tier);
      if (tier && policy.alertWhenNoData && noDataSeverity === undefined) noDataSeverity = tier.severity;
    });
  });
  notes.push(
    noDataSeverity === undefined
      ? 'burnbook adds its absent-SLI alert (severity ticket), which OpenSLO would raise only with alertWhenNoData: true.'
      : `alertWhenNoData is burnbook's absent-SLI alert, with its policy's severity (${noDataSeverity}).`,
  );
  if (!tiers.length)
    notes.push("No burn-rate alert policy: burnbook's default tiers (fast, slow, very-slow).");
  else
    notes.push(
      'Each burn-rate condition is a tier; its short window is a twelfth of lookbackWindow (OpenSLO has one window) and alertAfter is its `for`.',
    );

  const slos: Record<string, unknown>[] = [];
  spec.objectives.forEach((objective, i) => {
    const at: Path = ['spec', 'objectives', i];
    const before = problems.length;
    const to = ['slos', slos.length];
    if (objective.op !== undefined || objective.value !== undefined) {
      problems.push(problem(at, 'op and value belong to threshold metrics, which burnbook does not read'));
    }
    const percent =
      objective.targetPercent ??
      (objective.target === undefined ? undefined : Number((objective.target * 100).toPrecision(12)));
    if (percent === undefined) problems.push(problem(at, 'expected target or targetPercent'));
    origins.link(
      [...to, 'objective'],
      [...at, objective.targetPercent === undefined ? 'target' : 'targetPercent'],
      false,
    );
    let sliSpecOf: SliSpec | undefined;
    let sliAt: Path;
    const indicator = objective.indicator ?? spec.indicator;
    const indicatorRef = objective.indicatorRef ?? spec.indicatorRef;
    if (indicator) {
      sliSpecOf = indicator.spec;
      sliAt = objective.indicator ? [...at, 'indicator', 'spec'] : ['spec', 'indicator', 'spec'];
    } else if (indicatorRef) {
      sliAt = objective.indicatorRef ? [...at, 'indicatorRef'] : ['spec', 'indicatorRef'];
      sliSpecOf = referenced(catalog, 'SLI', indicatorRef, sliSpec, sliAt, problems);
    } else {
      sliAt = ['spec'];
      problems.push(problem(['spec'], 'expected indicator or indicatorRef'));
    }
    // An SLI found by reference is reported at the reference: its own lines are in another document.
    const local = indicator !== undefined;
    const sli =
      sliSpecOf &&
      sliOf(sliSpecOf, sliAt, [...to, 'sli'], local ? origins : new Origins(), catalog, problems);
    if (!local) origins.link([...to, 'sli'], sliAt, false);
    const name = burnbookName(
      spec.objectives.length > 1 ? `${meta.name}-${objective.displayName ?? i}` : meta.name,
    );
    origins
      .link(to, at, false)
      .link([...to, 'name'], ['metadata', 'name'], false)
      .link([...to, 'period'], ['spec', 'timeWindow'], false)
      .link([...to, 'alerting'], ['spec', 'alertPolicies'], false);
    if (problems.length > before || !sli || !name) return;
    slos.push({
      name,
      ...(spec.description ? { description: spec.description } : {}),
      objective: percent,
      ...(periodText ? { period: periodText } : {}),
      sli,
      ...(tiers.length
        ? {
            alerting: {
              tiers,
              ...(noDataSeverity === undefined ? {} : { absent: { severity: noDataSeverity } }),
            },
          }
        : {}),
    });
  });
  origins.link(['slos'], ['spec', 'objectives'], false);
  if (!slos.length || !service) return { translations: [], problems };
  const translated = { apiVersion: 'burnbook/v1', service, slos };
  return { translations: [{ document: translated, origins, notes, origin: 'OpenSLO v1' }], problems };
}

export const openSloV1: InputFormat = {
  name: 'OpenSLO v1',
  accepts: (document) => document.apiVersion === API_VERSION,
  usesCatalog: true,
  read: readTranslated((document, source) => translate(document, source.catalog)),
};
