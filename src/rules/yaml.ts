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
    return `${mapLines(value, '', new Set())}\n`;
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

function emptyCollection(value: unknown, seen: Set<object>): string {
  visit(value as object, seen);
  return Array.isArray(value) ? '[]' : '{}';
}

/**
 * The package writes an object it meets twice as an anchor and an alias; that is left to it. `seen`
 * holds every object written so far.
 */
function visit(value: object, seen: Set<object>): void {
  if (seen.has(value)) unsupported();
  seen.add(value);
}

function mapLines(map: Record<string, unknown>, indent: string, seen: Set<object>): string {
  visit(map, seen);
  const lines: string[] = [];
  for (const [k, v] of Object.entries(map)) {
    if (v === undefined) continue;
    const name = key(k);
    if (isEmpty(v)) lines.push(`${indent}${name}: ${emptyCollection(v, seen)}`);
    else if (Array.isArray(v)) lines.push(`${indent}${name}:\n${seqLines(v, `${indent}  `, seen)}`);
    else if (typeof v === 'object' && v !== null) {
      if (!isPlainObject(v)) unsupported();
      lines.push(`${indent}${name}:\n${mapLines(v, `${indent}  `, seen)}`);
    } else lines.push(`${indent}${name}: ${scalar(v, `${indent}  `)}`);
  }
  return lines.join('\n');
}

function seqLines(items: unknown[], indent: string, seen: Set<object>): string {
  visit(items, seen);
  const lines: string[] = [];
  const inner = `${indent}  `;
  for (const item of items) {
    if (item === undefined) unsupported();
    if (isEmpty(item)) lines.push(`${indent}- ${emptyCollection(item, seen)}`);
    else if (Array.isArray(item)) lines.push(`${indent}- ${seqLines(item, inner, seen).slice(inner.length)}`);
    else if (typeof item === 'object' && item !== null) {
      if (!isPlainObject(item)) unsupported();
      lines.push(`${indent}- ${mapLines(item, inner, seen).slice(inner.length)}`);
    } else {
      // A block scalar as a sequence item is indented differently; burnbook never writes one.
      if (typeof item === 'string' && item.includes('\n')) unsupported();
      lines.push(`${indent}- ${scalar(item, inner)}`);
    }
  }
  return lines.join('\n');
}
