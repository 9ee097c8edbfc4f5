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

/**
 * A tier: a default's name, or an object. An object named like a default overrides its fields. Instead of
 * `budgetPercent`, an object may give the burn `factor` itself (Pyrra's 14, 7, 2, 1; OpenSLO's burn-rate
 * thresholds): the share of the budget is then factor × long window ÷ period.
 */
export const tierRefSchema = z.union([
  z.string(),
  tierSchema
    .extend({ long: duration, short: duration, for: forDuration, factor: z.number().positive() })
    .partial()
    .required({ name: true }),
]);

/** What one severity's alerts add or leave out: Sloth's page_alert and ticket_alert. */
const severityAlertingSchema = z
  .object({
    labels: labels.default({}),
    annotations: z.record(z.string(), z.string()).default({}),
    disabled: z.boolean().default(false),
  })
  .strict();

/**
 * The absent-SLI alert: on by default, `false` switches it off; `for` defaults to the time the fastest tier
 * takes to page on a total outage (policy/burn.ts absentForMs), `severity` to ticket. `alertname` is the name
 * it shares with other SLOs' absent alerts, as `alerting.alertname` is the tiers'; when the tiers share one
 * and this is not set, Pyrra's `SLOMetricAbsent`.
 */
export const absentSchema = z.union([
  z.boolean(),
  z.strictObject({
    for: forDuration.optional(),
    severity: tierSchema.shape.severity.optional(),
    alertname: z.string().min(1).optional(),
  }),
]);

export const alertingSchema = z
  .object({
    name: name.optional(),
    /**
     * The alert name every tier's alert carries, as written (Sloth's `alerting.name`, Pyrra's
     * `ErrorBudgetBurn`); tiers are then told apart by their `slo_tier` and `severity` labels.
     */
    alertname: z.string().min(1).optional(),
    labels: labels.default({}),
    annotations: z.record(z.string(), z.string()).default({}),
    /**
     * No burn-rate alerts (Pyrra's `disabled`): the SLO is recorded, shown and evaluated, and no tier pages; the
     * absent-SLI alert has its own switch (`absent: false`).
     */
    disabled: z.boolean().default(false),
    /** Labels and annotations for one severity's alerts only, or `disabled: true` to drop them. */
    severities: z.record(z.string(), severityAlertingSchema).default({}),
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
    /** Labels on this SLO's rules and alerts only, over the file's `labels`. */
    labels: labels.default({}),
    alerting: alertingSchema.default({
      labels: {},
      annotations: {},
      disabled: false,
      severities: {},
      tiers: [...DEFAULT_TIER_NAMES],
      absent: true,
    }),
    runbook: z.string().optional(),
  })
  .strict();

export const specFileSchema = z
  .object({
    apiVersion: z.literal(
      'burnbook/v1',
      'expected burnbook/v1, or a document burnbook imports: Sloth (prometheus/v1, sloth.slok.dev/v1), Pyrra (pyrra.dev/v1alpha1), OpenSLO (openslo/v1, openslo/v1alpha)',
    ),
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
