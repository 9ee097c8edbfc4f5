import { Document, stringify } from 'yaml';

/**
 * YAML for the files burnbook writes: byte for byte what `stringify(value, { lineWidth: 0 })` from the
 * `yaml` package writes, several times faster. That package builds a document node for every value and
 * tests every scalar against every tag: at 10,000 SLOs it took 20 s of a 66 s `generate` (bench/generate.ts).
 * This writes the plain data burnbook generates directly, with the package's own rules for when a string
 * must be quoted; anything outside that subset goes to the package unchanged (test/rules-yaml.test.ts
 * compares the two on every generated file and on random values).
 */
export function toYaml(value: unknown): string {
  return fastYaml(value) ?? stringify(value, { lineWidth: 0 });
}

const UNSUPPORTED = Symbol('unsupported');

/** The fast path alone: undefined when `value` holds anything it does not write exactly like the package. */
export function fastYaml(value: unknown): string | undefined {
  if (!isPlainObject(value) || !Object.values(value).some((v) => v !== undefined)) return undefined;
  try {
    const out: string[] = [];
    writeCollection(value, '', out, new Set(), true);
    out.push('\n');
    return out.join('');
  } catch (error) {
    if (error === UNSUPPORTED) return undefined;
    throw error;
  }
}

// The tags a plain string could be mistaken for (null, booleans, numbers), from the package's default
// schema: a string any of them matches is quoted, exactly as the package decides.
const { tags } = new Document().schema;
const typedTags = tags.filter(
  (t): t is typeof t & { test: RegExp } =>
    Boolean(t.default) && t.tag !== 'tag:yaml.org,2002:str' && 'test' in t && t.test instanceof RegExp,
);
// Copied from the package's plainString: what a plain scalar may not start, contain or end with.
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
// Every one of those tags (null, booleans, integers, floats, .inf, .nan) matches only these characters,
// so a string with any other character needs no tag test: most strings burnbook writes have a space.
const MAYBE_TYPED = /^[-+.0-9a-zA-Z~]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the package's own test for characters it escapes
const FORCES_DOUBLE_QUOTES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

function unsupported(): never {
  throw UNSUPPORTED;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && !Object.values(value).some((v) => v !== undefined);
}

function plainAllowed(s: string): boolean {
  if (NOT_PLAIN.test(s) || DOCUMENT_MARKER.test(s)) return false;
  return !MAYBE_TYPED.test(s) || !typedTags.some((t) => t.test.test(s));
}

function key(k: string): string {
  if (k.length > 1000 || k.includes('\n') || FORCES_DOUBLE_QUOTES.test(k) || !plainAllowed(k)) unsupported();
  return k;
}

/** A string as a map value whose block content, if any, is indented by `indent`. */
function string(s: string, indent: string): string {
  if (FORCES_DOUBLE_QUOTES.test(s) || s.includes('\t')) unsupported();
  if (s.includes('\n')) {
    // A literal block with the `-` chomping indicator, unless its ends need more care than that.
    if (/^[ \n]|[ \n]$/.test(s) || DOCUMENT_MARKER.test(s)) unsupported();
    return `|-\n${indent}${s.replace(/\n+/g, `$&${indent}`)}`;
  }
  if (plainAllowed(s)) return s;
  // The package double-quotes these; without quotes or backslashes that is the string in quotes.
  if (s.includes('"') || s.includes('\\') || DOCUMENT_MARKER.test(s)) unsupported();
  return `"${s}"`;
}

function scalar(value: unknown, indent: string): string {
  switch (typeof value) {
    case 'string':
      return string(value, indent);
    case 'number':
      if (!Number.isFinite(value)) unsupported();
      return Object.is(value, -0) ? '-0' : JSON.stringify(value);
    case 'boolean':
      return String(value);
    default:
      if (value === null) return 'null';
      return unsupported();
  }
}

/**
 * The package writes an object it meets twice as an anchor and an alias; that is left to it. `seen`
 * holds every object written so far.
 */
function visit(value: object, seen: Set<object>): void {
  if (seen.has(value)) unsupported();
  seen.add(value);
}

/**
 * Writes a collection into `out`, each line starting with a newline and `indent`, except the first when
 * `inline`: a map or sequence as a sequence item starts on the item's `- ` line.
 */
function writeCollection(
  value: unknown,
  indent: string,
  out: string[],
  seen: Set<object>,
  inline: boolean,
): void {
  visit(value as object, seen);
  let first = inline;
  const lineStart = () => {
    out.push(first ? '' : `\n${indent}`);
    first = false;
  };
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item === undefined) unsupported();
      lineStart();
      out.push('- ');
      writeValue(item, inner, out, seen, true);
    }
    return;
  }
  if (!isPlainObject(value)) unsupported();
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    lineStart();
    out.push(key(k), ':');
    if (!isEmpty(v) && typeof v === 'object' && v !== null) writeCollection(v, inner, out, seen, false);
    else {
      out.push(' ');
      writeValue(v, inner, out, seen, false);
    }
  }
}

/** A value after `key: ` or `- `; `inner` indents what it writes on further lines. */
function writeValue(value: unknown, inner: string, out: string[], seen: Set<object>, item: boolean): void {
  if (typeof value !== 'object' || value === null) {
    // A block scalar as a sequence item is indented differently; burnbook never writes one.
    if (item && typeof value === 'string' && value.includes('\n')) unsupported();
    out.push(scalar(value, inner));
  } else if (isEmpty(value)) {
    visit(value, seen);
    out.push(Array.isArray(value) ? '[]' : '{}');
  } else writeCollection(value, inner, out, seen, true);
}
