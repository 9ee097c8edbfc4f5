import type { z } from 'zod';
import { formatDuration, parseDuration } from '../../policy/duration.ts';
import { DEFAULT_TIERS } from '../../policy/tiers.ts';
import { type IssueProblem, problemsFromZod } from '../issues.ts';

/** What the foreign formats (Sloth, Pyrra, OpenSLO) share when they translate to burnbook/v1. */

type Path = readonly PropertyKey[];

/** The document checked against a format's schema, or its problems at paths under `base`. */
export function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
  base: Path = [],
): { data: T; problems?: undefined } | { data?: undefined; problems: IssueProblem[] } {
  const result = schema.safeParse(value);
  if (result.success) return { data: result.data };
  return {
    problems: problemsFromZod(result.error, schema, value).map((p) => ({ ...p, path: [...base, ...p.path] })),
  };
}

/**
 * A name burnbook accepts (`[a-z0-9][a-z0-9_-]*`) for a service or SLO named elsewhere: lowercase, and any
 * other character a dash (`API.Gateway` → `api-gateway`). Undefined when nothing usable is left.
 */
export function burnbookName(name: string): string | undefined {
  const out = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .replace(/-+$/, '');
  return out || undefined;
}

/**
 * burnbook's `for` for a tier a foreign tool defined without one: the default tier's with the same windows
 * (2m on 1h/5m, 15m on 6h/30m, 1h on 3d/6h), otherwise half the short window, as Pyrra does.
 */
export function burnbookFor(long: string, short: string): string {
  const same = DEFAULT_TIERS.find((t) => t.long === long && t.short === short);
  if (same) return same.for;
  return formatDuration(Math.round((parseDuration(short) as number) / 2 / 60_000) * 60_000);
}

/** A problem at `path` of the source document. */
export function problem(path: Path, message: string, hint?: string): IssueProblem {
  return { path: [...path], message, ...(hint ? { hint } : {}) };
}
