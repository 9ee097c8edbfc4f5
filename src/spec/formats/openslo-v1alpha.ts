import { z } from 'zod';
import type { InputFormat } from '../format.ts';
import type { IssueProblem } from '../issues.ts';
import { burnbookName, parseWith, problem } from './foreign.ts';
import { period, ratioSli } from './openslo.ts';
import { Origins, readTranslated, type TranslateResult } from './translate.ts';

/**
 * OpenSLO v1alpha `SLO`, as Sloth reads it (internal/storage/io/openslo.go): objectives with `ratioMetrics`
 * good over total, each `source: prometheus, queryType: promql`, and `timeWindows` counted in days. Each
 * objective is one SLO; burnbook's default tiers alert on them (Sloth generates no alerts for OpenSLO).
 */

const API_VERSION = 'openslo/v1alpha';

const query = z
  .object({
    source: z.string(),
    queryType: z.string(),
    query: z.string().min(1),
    metadata: z.unknown().optional(),
  })
  .strict();
const schema = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('SLO'),
    metadata: z.object({ name: z.string().min(1), displayName: z.string().optional() }).loose(),
    spec: z
      .object({
        service: z.string().min(1),
        description: z.string().optional(),
        indicator: z.unknown().optional(),
        budgetingMethod: z.string(),
        objectives: z
          .array(
            z
              .object({
                displayName: z.string().optional(),
                value: z.number().optional(),
                op: z.string().optional(),
                target: z.number(),
                timeSliceTarget: z.number().optional(),
                ratioMetrics: z
                  .object({ good: query, total: query, incremental: z.boolean().optional() })
                  .strict()
                  .optional(),
              })
              .strict(),
          )
          .min(1),
        timeWindows: z
          .array(
            z
              .object({
                count: z.number().int().positive(),
                unit: z.string(),
                isRolling: z.boolean().optional(),
                calendar: z.unknown().optional(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict(),
  })
  .strict();

const UNITS: Record<string, string> = { minute: 'm', hour: 'h', day: 'd', week: 'w' };

function translate(document: Record<string, unknown>): TranslateResult {
  // Service and the other kinds hold no SLO.
  if (document.kind !== 'SLO') return { translations: [], problems: [] };
  const parsed = parseWith(schema, document);
  if (parsed.problems) return { translations: [], problems: parsed.problems };
  const { metadata, spec } = parsed.data;
  const problems: IssueProblem[] = [];
  const origins = new Origins();
  const service = burnbookName(spec.service);
  origins.link(['service'], ['spec', 'service'], service === spec.service);
  if (spec.budgetingMethod !== 'Occurrences') {
    problems.push(
      problem(
        ['spec', 'budgetingMethod'],
        `budgetingMethod ${spec.budgetingMethod}: burnbook budgets occurrences`,
        'use budgetingMethod: Occurrences',
      ),
    );
  }
  let periodText: string | undefined = '30d';
  const window = spec.timeWindows?.[0];
  if (window) {
    const unit = UNITS[window.unit.toLowerCase()];
    if (window.calendar !== undefined || window.isRolling === false) {
      problems.push(
        problem(
          ['spec', 'timeWindows', 0],
          'burnbook budgets over a rolling window; a calendar-aligned one is not supported',
        ),
      );
    }
    if (unit) periodText = period(`${window.count}${unit}`, ['spec', 'timeWindows', 0], problems);
    else {
      periodText = undefined;
      problems.push(
        problem(
          ['spec', 'timeWindows', 0, 'unit'],
          `unit ${window.unit}: burnbook's periods are minutes, hours, days or weeks`,
        ),
      );
    }
  }
  const slos: Record<string, unknown>[] = [];
  spec.objectives.forEach((objective, i) => {
    const at = ['spec', 'objectives', i];
    const before = problems.length;
    const to = ['slos', slos.length];
    const r = objective.ratioMetrics;
    if (!r) {
      problems.push(problem(at, 'burnbook reads ratioMetrics (good over total)'));
      return;
    }
    for (const key of ['good', 'total'] as const) {
      if (!/^(prometheus|sloth)$/i.test(r[key].source) || r[key].queryType.toLowerCase() !== 'promql') {
        problems.push(
          problem(
            [...at, 'ratioMetrics', key],
            `source ${r[key].source} with queryType ${r[key].queryType}: burnbook reads source prometheus, queryType promql`,
          ),
        );
      }
    }
    const sli = ratioSli(
      {
        good: [r.good.query, [...at, 'ratioMetrics', 'good', 'query']],
        total: [r.total.query, [...at, 'ratioMetrics', 'total', 'query']],
      },
      [...to, 'sli'],
      origins,
      problems,
    );
    const name = burnbookName(
      spec.objectives.length > 1 ? `${metadata.name}-${objective.displayName ?? i}` : metadata.name,
    );
    origins
      .link(to, at, false)
      .link([...to, 'objective'], [...at, 'target'], false)
      .link([...to, 'name'], ['metadata', 'name'], false);
    if (problems.length > before || !sli || !name) return;
    slos.push({
      name,
      ...(spec.description ? { description: spec.description } : {}),
      objective: Number((objective.target * 100).toPrecision(12)),
      ...(periodText ? { period: periodText } : {}),
      sli,
    });
  });
  if (!slos.length || !service) return { translations: [], problems };
  const notes = [
    "OpenSLO v1alpha has no alert policies: burnbook's default tiers (fast, slow, very-slow) and absent-SLI alert; Sloth generates no alerts for it.",
  ];
  return {
    translations: [
      { document: { apiVersion: 'burnbook/v1', service, slos }, origins, notes, origin: 'OpenSLO v1alpha' },
    ],
    problems,
  };
}

export const openSloV1alpha: InputFormat = {
  name: 'OpenSLO v1alpha',
  accepts: (document) => document.apiVersion === API_VERSION,
  read: readTranslated(translate),
};
