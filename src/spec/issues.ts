import type { z } from 'zod';
import { closest } from '../text/closest.ts';
import type { ModelProblem } from './model.ts';

/** zod issues as problems a person can act on: "unknown key objectve; did you mean objective?". */

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
}

function def(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** The object keys the schema allows at `path`, for "did you mean" hints. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  let rest = [...path];
  while (s) {
    const d = def(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe') s = d.in;
    else if (d.type === 'union') s = d.options?.find((o) => def(o).type === 'object') ?? d.options?.[0];
    else if (d.type === 'array' && typeof rest[0] === 'number') {
      s = d.element;
      rest = rest.slice(1);
    } else if (d.type === 'object' && d.shape) {
      if (!rest.length) return Object.keys(d.shape);
      s = d.shape[String(rest[0])];
      rest = rest.slice(1);
    } else return [];
  }
  return [];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

export type IssueProblem = ModelProblem;

function fromIssue(issue: z.core.$ZodIssue, schema: z.ZodType, root: unknown): IssueProblem[] {
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, path);
    return issue.keys.map((key) => {
      const guess = closest(key, known);
      return {
        path,
        key,
        message: `unknown key "${key}"`,
        hint: guess ? `did you mean "${guess}"?` : `expected one of: ${known.join(', ')}`,
      };
    });
  }
  if (issue.code === 'invalid_union') {
    // Report the branch that got furthest: the one whose issues sit deepest.
    const branches = issue.errors.filter((b) => b.length);
    const best = branches.sort(
      (a, b) => Math.max(...b.map((i) => i.path.length)) - Math.max(...a.map((i) => i.path.length)),
    )[0];
    if (best) return best.flatMap((i) => fromIssue({ ...i, path: [...path, ...i.path] }, schema, root));
  }
  const value = path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], root);
  if (issue.code === 'invalid_type') {
    if (value === undefined) {
      const key = path.at(-1);
      return [{ path: path.slice(0, -1), message: `missing required key "${String(key)}"` }];
    }
    return [{ path, message: `expected ${issue.expected}, got ${describe(value)}` }];
  }
  if (issue.code === 'invalid_value' && value !== undefined) {
    return [{ path, message: `${issue.message}, got ${describe(value)}` }];
  }
  return [{ path, message: issue.message }];
}

export function problemsFromZod(error: z.ZodError, schema: z.ZodType, root: unknown): IssueProblem[] {
  return error.issues.flatMap((issue) => fromIssue(issue, schema, root));
}
