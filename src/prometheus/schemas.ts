/**
 * The shapes Prometheus's HTTP API answers with (https://prometheus.io/docs/prometheus/latest/querying/api/),
 * parsed into what callers want: sample values as numbers and timestamps as epoch milliseconds.
 * Unknown fields are dropped rather than rejected, so newer Prometheus, Thanos and Mimir still parse.
 */
import { z } from 'zod';
import { labelSetSchema } from './label-set.ts';

// Go's strconv.ParseFloat spellings, which is what Prometheus writes and accepts.
const SPECIAL_VALUES: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/** A sample value as Prometheus writes it (`"0.5"`, `"NaN"`, `"+Inf"`, `"1e+00"`), or undefined. */
export function parseSampleValue(text: string): number | undefined {
  const special = SPECIAL_VALUES[text.toLowerCase()];
  if (special !== undefined) return special;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

const sampleValue = z.string().transform((text, ctx) => {
  const value = parseSampleValue(text);
  if (value === undefined) {
    ctx.issues.push({ code: 'custom', message: `not a sample value: ${JSON.stringify(text)}`, input: text });
    return z.NEVER;
  }
  return value;
});

// API timestamps are float seconds; rounding drops the binary noise of `1435781451.781 * 1000`.
const timestampMs = z.number().transform((seconds) => Math.round(seconds * 1000));

const labels = labelSetSchema;

const point = z
  .tuple([timestampMs, sampleValue])
  .transform(([timestampMs, value]) => ({ timestampMs, value }));

const vectorSample = z
  .object({ metric: labels, value: point })
  .transform(({ metric, value }) => ({ metric, ...value }));

const rangeSeries = z.object({ metric: labels, values: z.array(point) });

const vectorData = z.object({ resultType: z.literal('vector'), result: z.array(vectorSample) });
const matrixData = z.object({ resultType: z.literal('matrix'), result: z.array(rangeSeries) });
const scalarData = z.object({ resultType: z.literal('scalar'), result: point });
const stringData = z.object({
  resultType: z.literal('string'),
  result: z.tuple([timestampMs, z.string()]).transform(([timestampMs, value]) => ({ timestampMs, value })),
});

/** `data` of /api/v1/query: an instant query may yield any of the four result types. */
export const queryDataSchema = z.discriminatedUnion('resultType', [
  vectorData,
  matrixData,
  scalarData,
  stringData,
]);

/** `data` of /api/v1/query_range: always a matrix, even for a scalar expression. */
export const queryRangeDataSchema = matrixData;

const alert = z.object({
  labels,
  annotations: labels,
  state: z.string(),
  activeAt: z.string().optional(),
  value: sampleValue,
});

const ruleCommon = {
  name: z.string(),
  query: z.string(),
  labels: labels.optional(),
  health: z.string(),
  lastError: z.string().optional(),
  evaluationTime: z.number().optional(),
  lastEvaluation: z.string().optional(),
};

const recordingRule = z.object({ type: z.literal('recording'), ...ruleCommon });

const alertingRule = z.object({
  type: z.literal('alerting'),
  ...ruleCommon,
  state: z.string(),
  /** The rule's `for`, in seconds. */
  duration: z.number(),
  annotations: labels.optional(),
  alerts: z.array(alert),
});

const ruleGroup = z.object({
  name: z.string(),
  file: z.string(),
  rules: z.array(z.discriminatedUnion('type', [recordingRule, alertingRule])),
  /** Evaluation interval in seconds. */
  interval: z.number(),
  evaluationTime: z.number().optional(),
  lastEvaluation: z.string().optional(),
});

export const rulesDataSchema = z.object({ groups: z.array(ruleGroup) });
/** `data` of /api/v1/labels and /api/v1/label/<name>/values. */
export const labelsDataSchema = z.array(z.string());
export const alertsDataSchema = z.object({ alerts: z.array(alert) });

export const buildInfoSchema = z.object({
  version: z.string(),
  revision: z.string().optional(),
  branch: z.string().optional(),
  buildUser: z.string().optional(),
  buildDate: z.string().optional(),
  goVersion: z.string().optional(),
});

/** Every response's outer layer; `data` is validated separately, per endpoint. */
export const envelopeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.unknown(), warnings: z.array(z.string()).optional() }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

/** One sample: `{ metric, timestampMs, value }`, with `value` possibly NaN or ±Infinity. */
export type InstantSample = z.output<typeof vectorSample>;
export type Point = z.output<typeof point>;
export type RangeSeries = z.output<typeof rangeSeries>;
export type QueryData = z.output<typeof queryDataSchema>;
export type QueryRangeData = z.output<typeof queryRangeDataSchema>;
export type Alert = z.output<typeof alert>;
export type RecordingRule = z.output<typeof recordingRule>;
export type AlertingRule = z.output<typeof alertingRule>;
export type RuleGroup = z.output<typeof ruleGroup>;
export type BuildInfo = z.output<typeof buildInfoSchema>;
