/**
 * PromQL string literals and names exactly as Prometheus reads and writes them.
 *
 * Decoding follows Prometheus's lexer (`promql/parser/lex.go`, `lexEscape`) and Go's
 * `strconv.Unquote`, which its parser applies: `\a \b \f \n \r \t \v \\`, the string's own quote,
 * `\x` + 2 hex digits and `\` + 3 octal digits (one byte each, at most 255), `\u` + 4 and `\U` + 8
 * hex digits (a Unicode code point, not a surrogate). Anything else after a backslash (`\d`, `\.`,
 * the other quote) is an error there, as it is in Prometheus. Backtick strings are raw. The bytes
 * must make valid UTF-8: Prometheus stores label values as UTF-8, so no series could match otherwise.
 */

export type Decoded = { value: string } | { offset: number; message: string; hint: string };

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
const HEX = /^[0-9a-fA-F]$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `literal` is the whole token, quotes included; offsets in errors are into it. */
export function decodeString(literal: string): Decoded {
  const quote = literal[0];
  if (quote === '`') return { value: literal.slice(1, -1) };
  const bytes: number[] = [];
  const end = literal.length - 1;
  const bad = (offset: number, message: string): Decoded => ({
    offset,
    message,
    hint:
      quote === '"'
        ? 'in a PromQL string a backslash starts an escape; write \\\\ for a backslash (regex \\\\d), or use a `backtick` string, which has no escapes'
        : 'in a PromQL string a backslash starts an escape; write \\\\ for a backslash, or use a `backtick` string',
  });
  for (let i = 1; i < end; i++) {
    const ch = literal.codePointAt(i) as number;
    if (ch !== 92) {
      if (String.fromCharCode(ch) === quote) return bad(i, 'unescaped quote inside the string');
      const char = String.fromCodePoint(ch);
      if (ch > 0xffff) i++;
      for (const b of Buffer.from(char, 'utf8')) bytes.push(b);
      continue;
    }
    const at = i;
    const e = literal[++i];
    if (e === undefined || i >= end) return bad(at, 'escape sequence not terminated');
    if (e in SIMPLE) bytes.push(SIMPLE[e] as number);
    else if (e === quote) bytes.push(e.charCodeAt(0));
    else if (e >= '0' && e <= '7') {
      const digits = literal.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(digits)) return bad(at, `illegal character in octal escape \\${digits}`);
      const n = Number.parseInt(digits, 8);
      if (n > 255) return bad(at, `escape sequence \\${digits} is an invalid Unicode code point`);
      bytes.push(n);
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = { x: 2, u: 4, U: 8 }[e];
      const digits = literal.slice(i + 1, i + 1 + n);
      if (digits.length < n || ![...digits].every((d) => HEX.test(d))) {
        return bad(at, `\\${e} needs ${n} hex digits, got "${literal.slice(at, at + 2 + n)}"`);
      }
      const code = Number.parseInt(digits, 16);
      if (e === 'x') bytes.push(code);
      else if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) {
        return bad(at, `escape sequence \\${e}${digits} is an invalid Unicode code point`);
      } else for (const b of Buffer.from(String.fromCodePoint(code), 'utf8')) bytes.push(b);
      i += n;
    } else {
      return bad(at, `unknown escape sequence \\${e}, which Prometheus rejects`);
    }
  }
  try {
    return { value: utf8.decode(Uint8Array.from(bytes)) };
  } catch {
    return {
      offset: 0,
      message: 'the escapes make bytes that are not UTF-8, so no label value can equal them',
      hint: 'escape characters as \\u00e9 or write them as they are, not as single bytes like \\xe9',
    };
  }
}

/** A double-quoted PromQL string Prometheus decodes back to `value`; non-ASCII text stays as it is. */
export function quoteString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** Names Prometheus 2 accepts unquoted; anything else is a UTF-8 name (Prometheus 3), printed quoted. */
const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LEGACY_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function isLegacyLabelName(name: string): boolean {
  return LEGACY_LABEL.test(name);
}

export function isLegacyMetricName(name: string): boolean {
  return LEGACY_METRIC.test(name) && !KEYWORDS.has(name.toLowerCase());
}

// Words PromQL's lexer reads as keywords, so a metric of that name cannot be written bare.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'atan2',
  'bool',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'start',
  'end',
  'inf',
  'nan',
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'count_values',
  'quantile',
  'limitk',
  'limit_ratio',
]);

/** A label name as PromQL reads it: `job`, or `"http.route"`. */
export function formatLabelName(name: string): string {
  return isLegacyLabelName(name) ? name : quoteString(name);
}
