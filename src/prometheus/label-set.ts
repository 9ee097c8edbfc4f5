/**
 * A label set (labels, annotations, a series' metric) as Prometheus and Alertmanager write it: names to
 * string values. Any name is legal data in Alertmanager, `__proto__` and `constructor` included, so a label
 * set lives in an object whose prototype chain holds nothing: assigning `__proto__` there makes an own
 * property instead of replacing the prototype (which zod's record and `{}` do, silently dropping the
 * label), and looking up a name the set lacks (`constructor`) finds nothing instead of Object's members.
 */
import { z } from 'zod';

export type LabelSet = Record<string, string>;

// A constructor whose prototype has no prototype: its objects resolve nothing but their own keys, and V8
// keeps them in its fast layout, which Object.create(null) objects never get (measured: half the time to
// build, a third less to serialise, on the webhook's hot path).
function Bare() {}
Bare.prototype = Object.create(null);
const emptySet = (): LabelSet => new (Bare as unknown as new () => LabelSet)();

/** A copy of `entries`' own string values in a bare object; the caller has checked they are strings. */
export function labelSet(entries: Record<string, string> | Iterable<[string, string]>): LabelSet {
  const set = emptySet();
  const pairs = Symbol.iterator in entries ? entries : Object.entries(entries);
  for (const [name, value] of pairs as Iterable<[string, string]>) set[name] = value;
  return set;
}

/**
 * Validates a label set and returns a bare copy. Reports the first value that is not a string and
 * stops: a set of a million bad values costs one problem, not a million.
 */
// z.custom rather than z.unknown: an object's key of unknown type would be optional.
export const labelSetSchema = z.custom<object>().transform((input: unknown, ctx): LabelSet => {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    ctx.issues.push({ code: 'invalid_type', expected: 'record', input });
    return z.NEVER;
  }
  const set = emptySet();
  for (const name of Object.keys(input)) {
    const value = (input as Record<string, unknown>)[name];
    if (typeof value !== 'string') {
      ctx.issues.push({ code: 'invalid_type', expected: 'string', input: value, path: [name] });
      return z.NEVER;
    }
    set[name] = value;
  }
  return set;
});
