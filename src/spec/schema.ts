import { z } from 'zod';
import { PROMETHEUS_MAX_DURATION_MS, parseDuration } from '../policy/duration.ts';
import { DEFAULT_TIER_NAMES, tierSchema } from '../policy/tiers.ts';
import { sliSchema } from '../sli/index.ts';

/** The SLO spec, `apiVersion: burnbook/v1`. The schema is the type: see `SpecFile` below. */

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected lowercase letters, digits, _ and - (e.g. checkout-api)');
/** Any UTF-8 name (Prometheus 3 allows them; whether the Prometheus checked against does is the model's call). */
const labelName = z
  .string()
  .min(1, 'expected a Prometheus label name')
  .refine((n) => !n.startsWith('__'), 'label names starting with __ are reserved for Prometheus');
const labels = z.record(labelName, z.string());
const TOO_LONG = 'longer than Prometheus can hold (about 292 years)';
/** A window or period: a Prometheus duration longer than zero. */
export const duration = z
  .string()
  .refine((s) => (parseDuration(s) ?? 0) > 0, 'expected a Prometheus duration such as 5m, 1h or 30d')
  .refine((s) => (parseDuration(s) ?? 0) <= PROMETHEUS_MAX_DURATION_MS, TOO_LONG);

/** A `for`: zero is allowed and means "fire at once". */
const forDuration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, 'expected a Prometheus duration such as 0s, 2m or 1h')
  .refine((s) => (parseDuration(s) ?? 0) <= PROMETHEUS_MAX_DURATION_MS, TOO_LONG);

/** A tier: a default's name, or an object. An object named like a default overrides its fields. */
export const tierRefSchema = z.union([
  z.string(),
  tierSchema.extend({ long: duration, short: duration, for: forDuration }).partial().required({ name: true }),
]);

/**
 * The absent-SLI alert: on by default, `false` switches it off; `for` defaults to the time the fastest tier
 * takes to page on a total outage (policy/burn.ts absentForMs), `severity` to ticket.
 */
export const absentSchema = z.union([
  z.boolean(),
  z.strictObject({ for: forDuration.optional(), severity: tierSchema.shape.severity.optional() }),
]);

export const alertingSchema = z
  .object({
    name: name.optional(),
    labels: labels.default({}),
    annotations: z.record(z.string(), z.string()).default({}),
    tiers: z
      .array(tierRefSchema)
      .min(1)
      .default([...DEFAULT_TIER_NAMES]),
    absent: absentSchema.default(true),
  })
  .strict();

export const sloSchema = z
  .object({
    name,
    description: z.string().optional(),
    objective: z
      .number()
      .gt(0, 'expected a percentage above 0')
      .lt(100, 'expected a percentage below 100: an objective of 100% leaves no error budget'),
    period: duration.default('30d'),
    sli: sliSchema,
    groupBy: z.array(labelName).default([]),
    breakdown: z.array(labelName).default([]),
    minEvents: z.number().int().positive().optional(),
    alerting: alertingSchema.default({
      labels: {},
      annotations: {},
      tiers: [...DEFAULT_TIER_NAMES],
      absent: true,
    }),
    runbook: z.string().optional(),
  })
  .strict();

export const specFileSchema = z
  .object({
    apiVersion: z.literal('burnbook/v1', 'expected burnbook/v1'),
    service: name,
    labels: labels.default({}),
    // rate() needs two samples in a window, so burnbook checks windows against this.
    scrapeInterval: duration.default('1m'),
    slos: z.array(sloSchema).min(1, 'expected at least one SLO'),
  })
  .strict();

/** The file without its SLOs, so each SLO is checked on its own and one bad SLO hides no other's errors. */
export const specHeaderSchema = specFileSchema.extend({
  slos: z.array(z.unknown()).min(1, 'expected at least one SLO'),
});

export type SpecHeader = z.infer<typeof specHeaderSchema>;
export type SloSpec = z.infer<typeof sloSchema>;
export type TierRef = z.infer<typeof tierRefSchema>;
