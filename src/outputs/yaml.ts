import { Document, stringify } from 'yaml';

/**
 * YAML for the files burnbook writes: byte for byte what `stringify(value, { lineWidth: 0 })` from the
 * `yaml` package writes, about ten times faster. That package builds a document node for every value and
 * tests every scalar against every tag: at 10,000 SLOs it took 20 s of a 66 s `generate` (bench/generate.ts);
 * 2,000 SLOs' rule files take it 1.4 s of CPU, and this 0.15 s. It is kept (rather than the package alone)
 * because YAML is a third of what generate itself does at that size. This writes the plain data burnbook
 * generates directly, with the package's own rules for when a string must be quoted; anything outside that
 * subset goes to the package unchanged (test/rules-yaml.test.ts compares the two on every generated file
 * and on random values).
 */
export function toYaml(value: unknown): string {
  return fastYaml(value) ?? stringify(value, { lineWidth: 0 });
}

const UNSUPPORTED = Symbol('unsupported');

/** The fast path alone: undefined when `value` holds anything it does not write exactly like the package. */
export function fastYaml(value: unknown): string | undefined {
  if (!isPlainObject(value) || isEmpty(value)) return undefined;
  try {
    return `${collection(value, '', new Set(), true)}\n`;
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
  if (!isPlainObject(value)) return false;
  for (const k in value) if (value[k] !== undefined) return false;
  return true;
}

function plainAllowed(s: string): boolean {
  if (NOT_PLAIN.test(s) || DOCUMENT_MARKER.test(s)) return false;
  return !MAYBE_TYPED.test(s) || !typedTags.some((t) => t.test.test(s));
}

/**
 * Keys and one-line strings repeat all over a rules file (label names and values, service and SLO
 * names), so their verdicts are remembered; long strings (expressions, descriptions) rarely repeat.
 */
const REMEMBER_UP_TO = 64;
const keys = new Map<string, string | typeof UNSUPPORTED>();
const strings = new Map<string, string | typeof UNSUPPORTED>();

function remembered(cache: typeof keys, s: string, decide: (s: string) => string): string {
  if (s.length > REMEMBER_UP_TO) return decide(s);
  let verdict = cache.get(s);
  if (verdict === undefined) {
    try {
      verdict = decide(s);
    } catch (error) {
      if (error !== UNSUPPORTED) throw error;
      verdict = UNSUPPORTED;
    }
    if (cache.size > 100_000) cache.clear();
    cache.set(s, verdict);
  }
  return verdict === UNSUPPORTED ? unsupported() : verdict;
}

function decideKey(k: string): string {
  if (k.length > 1000 || k.includes('\n') || FORCES_DOUBLE_QUOTES.test(k) || !plainAllowed(k)) unsupported();
  return k;
}

/** A one-line string: plain, or in double quotes where the package quotes it and that is all it takes. */
function decideString(s: string): string {
  if (FORCES_DOUBLE_QUOTES.test(s) || s.includes('\t')) unsupported();
  if (plainAllowed(s)) return s;
  // The package double-quotes these; without quotes or backslashes that is the string in quotes.
  if (s.includes('"') || s.includes('\\') || DOCUMENT_MARKER.test(s)) unsupported();
  return `"${s}"`;
}

function key(k: string): string {
  return remembered(keys, k, decideKey);
}

/** A string as a map value whose block content, if any, is indented by `indent`. */
function string(s: string, indent: string): string {
  if (!s.includes('\n')) return remembered(strings, s, decideString);
  if (FORCES_DOUBLE_QUOTES.test(s) || s.includes('\t')) unsupported();
  // A literal block with the `-` chomping indicator, unless its ends need more care than that.
  if (/^[ \n]|[ \n]$/.test(s) || DOCUMENT_MARKER.test(s)) unsupported();
  return `|-\n${indent}${s.replace(/\n+/g, `$&${indent}`)}`;
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
 * A collection, each line starting with a newline and `indent`, except the first when `inline`: a map or
 * sequence as a sequence item starts on the item's `- ` line. Built by concatenation, which V8 keeps as
 * a rope until the file is written: faster than collecting parts and joining them.
 */
function collection(value: unknown, indent: string, seen: Set<object>, inline: boolean): string {
  visit(value as object, seen);
  let out = '';
  let first = inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item === undefined) unsupported();
      out += first ? '- ' : `\n${indent}- `;
      first = false;
      out += valueText(item, inner, seen, true);
    }
    return out;
  }
  if (!isPlainObject(value)) unsupported();
  for (const k of Object.keys(value)) {
    const v = value[k];
    if (v === undefined) continue;
    out += first ? `${key(k)}:` : `\n${indent}${key(k)}:`;
    first = false;
    if (typeof v === 'object' && v !== null && !isEmpty(v)) out += collection(v, inner, seen, false);
    else out += ` ${valueText(v, inner, seen, false)}`;
  }
  return out;
}

/** A value after `key: ` or `- `; `inner` indents what it writes on further lines. */
function valueText(value: unknown, inner: string, seen: Set<object>, item: boolean): string {
  if (typeof value !== 'object' || value === null) {
    // A block scalar as a sequence item is indented differently; burnbook never writes one.
    if (item && typeof value === 'string' && value.includes('\n')) unsupported();
    return scalar(value, inner);
  }
  if (isEmpty(value)) {
    visit(value, seen);
    return Array.isArray(value) ? '[]' : '{}';
  }
  return collection(value, inner, seen, true);
}
