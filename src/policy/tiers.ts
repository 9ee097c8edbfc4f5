import { z } from 'zod';

/**
 * A burn-rate tier: alert when `budgetPercent` of the period's error budget would be spent
 * within `long`, confirmed by the `short` window so the alert resets quickly. Tiers are
 * data: the defaults below come from the Google SRE Workbook, "Alerting on SLOs", table 5-8.
 */
export const tierSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    severity: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a lowercase word such as page or ticket'),
    budgetPercent: z.number().gt(0).lte(100),
    long: z.string(),
    short: z.string(),
    for: z.string(),
  })
  .strict();

export type TierSpec = z.infer<typeof tierSchema>;

/** A tier as the model holds it: the spec's fields, with its windows and `for` resolved to milliseconds. */
export const resolvedTierSchema = tierSchema.omit({ long: true, short: true, for: true }).extend({
  longMs: z.number().positive(),
  shortMs: z.number().positive(),
  forMs: z.number().min(0),
});

export type Tier = z.infer<typeof resolvedTierSchema>;

// `for` follows Pyrra's choices: long enough to ride out one bad scrape, short next to
// the time the tier needs to detect a real burn.
export const DEFAULT_TIERS: readonly TierSpec[] = [
  { name: 'fast', severity: 'page', budgetPercent: 2, long: '1h', short: '5m', for: '2m' },
  { name: 'slow', severity: 'page', budgetPercent: 5, long: '6h', short: '30m', for: '15m' },
  { name: 'very-slow', severity: 'ticket', budgetPercent: 10, long: '3d', short: '6h', for: '1h' },
];

export const DEFAULT_TIER_NAMES = DEFAULT_TIERS.map((t) => t.name);

/**
 * The `slo_tier` of an SLO's absent-SLI alert. It is no burn tier, but it is routed and inhibited beside
 * them, so it carries the same label; no tier may take the name.
 */
export const ABSENT_TIER = 'sli-absent';
