import { goPrintfG } from './go-format.ts';

/**
 * Alert labels and annotations are Go templates (Prometheus docs, "Templating"): `promtool check rules`
 * parses each one, and Prometheus renders them when an alert fires. This reads them the same way:
 * `parseTemplate` finds what Go's text/template parser refuses (an unknown function such as
 * `{{ team }}`, an undefined variable, an unclosed action or block), with its offset, so `validate`
 * reports it at the spec's line and column; `renderTemplate` predicts what Prometheus renders for the
 * common forms (`{{ $labels.x }}`, `{{ $value | humanizePercentage }}`, `printf`), so generated
 * promtool tests can expect it. Anything it cannot predict (`query`, `range`, ...) renders undefined.
 */

// Go's text/template builtins and Prometheus's template functions (template/template.go).
const FUNCTIONS = new Set([
  'and',
  'call',
  'html',
  'index',
  'slice',
  'js',
  'len',
  'not',
  'or',
  'print',
  'printf',
  'println',
  'urlquery',
  'eq',
  'ge',
  'gt',
  'le',
  'lt',
  'ne',
  'query',
  'first',
  'label',
  'value',
  'strvalue',
  'args',
  'reReplaceAll',
  'safeHtml',
  'match',
  'title',
  'toUpper',
  'toLower',
  'graphLink',
  'tableLink',
  'sortByLabel',
  'humanize',
  'humanize1024',
  'humanizeDuration',
  'humanizePercentage',
  'humanizeTimestamp',
  'toTime',
  'toDuration',
  'pathPrefix',
  'externalURL',
  'parseDuration',
  'stripPort',
  'stripDomain',
  'urlUnescape',
]);
// Prometheus defines these before every alert template.
const VARIABLES = new Set(['$', '$labels', '$externalLabels', '$externalURL', '$value']);
const OPENERS = new Set(['if', 'range', 'with', 'define', 'block']);

export interface TemplateError {
  offset: number;
  message: string;
}

type Token = { kind: 'text'; text: string } | { kind: 'action'; words: string[]; offset: number };

/** Splits text and `{{ actions }}`, honouring `{{-`/`-}}` trim markers, comments and quoted `}}`. */
function lex(text: string): Token[] | TemplateError {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    if (open < 0) {
      tokens.push({ kind: 'text', text: text.slice(at) });
      break;
    }
    let literal = text.slice(at, open);
    let i = open + 2;
    if (text.startsWith('- ', i)) {
      literal = literal.trimEnd();
      i += 2;
    }
    tokens.push({ kind: 'text', text: literal });
    const words: string[] = [];
    let closed = false;
    while (i < text.length) {
      const ch = text[i] as string;
      if (text.startsWith('/*', i)) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) return { offset: i, message: 'unclosed comment' };
        i = end + 2;
      } else if (text.startsWith(' -}}', i) || text.startsWith('}}', i)) {
        const trim = text[i] === ' ';
        i += trim ? 4 : 2;
        if (trim) while (i < text.length && /\s/.test(text[i] as string)) i++;
        closed = true;
        break;
      } else if (/\s/.test(ch)) i++;
      else if (ch === '"' || ch === '`' || ch === "'") {
        let j = i + 1;
        while (j < text.length && text[j] !== ch) j += ch !== '`' && text[j] === '\\' ? 2 : 1;
        if (j >= text.length) return { offset: i, message: 'unterminated quoted string in action' };
        words.push(text.slice(i, j + 1));
        i = j + 1;
      } else if ('()|'.includes(ch)) {
        words.push(ch);
        i++;
      } else {
        const m = /^(:=|=|[^\s()|"`']+)/.exec(text.slice(i)) as RegExpExecArray;
        let word = m[0];
        const close = word.indexOf('}}');
        if (close >= 0) word = word.slice(0, close);
        words.push(word);
        i += word.length;
      }
    }
    if (!closed) return { offset: open, message: 'unclosed action: "{{" without "}}"' };
    tokens.push({ kind: 'action', words, offset: open });
    at = i;
  }
  return tokens;
}

/** What Go's parser refuses in `text`, or undefined. */
export function parseTemplate(text: string): TemplateError | undefined {
  const tokens = lex(text);
  if (!Array.isArray(tokens)) return tokens;
  const blocks: string[] = [];
  const scopes: Array<Set<string>> = [new Set(VARIABLES)];
  const defined = (v: string) => scopes.some((s) => s.has(v.split('.')[0] as string));
  for (const token of tokens) {
    if (token.kind === 'text') continue;
    const [first, second] = token.words;
    const at = token.offset;
    if (first === undefined) return { offset: at, message: 'missing value for command' };
    if (first === 'end') {
      if (!blocks.pop()) return { offset: at, message: 'unexpected {{end}}' };
      scopes.pop();
      continue;
    }
    if (first === 'else') {
      if (!blocks.length) return { offset: at, message: 'unexpected {{else}}' };
      continue;
    }
    let words = token.words;
    if (OPENERS.has(first)) {
      blocks.push(first);
      scopes.push(new Set());
      if (first === 'define' || first === 'block') continue;
      words = words.slice(1);
    } else if (first === 'template') continue;
    if (words[1] === ':=' || words[1] === '=' || (words[2] === ':=' && words[1]?.startsWith('$'))) {
      const declared = words.filter((w, i) => w.startsWith('$') && i < words.indexOf(':=') + 1);
      for (const v of declared) scopes.at(-1)?.add(v.replace(/,$/, ''));
      words = words.slice(words.findIndex((w) => w === ':=' || w === '=') + 1);
    }
    for (const word of words) {
      if (word.startsWith('$')) {
        if (!defined(word)) return { offset: at, message: `undefined variable "${word.split('.')[0]}"` };
      } else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(word) && !['true', 'false', 'nil'].includes(word)) {
        if (!FUNCTIONS.has(word)) return { offset: at, message: `function "${word}" not defined` };
      }
    }
    if (second === undefined && OPENERS.has(first))
      return { offset: at, message: `missing value for ${first}` };
  }
  if (blocks.length)
    return { offset: text.length, message: `unexpected EOF: {{${blocks.at(-1)}}} without {{end}}` };
  return undefined;
}

/** The alert's data Prometheus renders a template with. */
export interface TemplateData {
  labels: Record<string, string>;
  value: number;
}

type Value = string | number;

/**
 * What Prometheus renders `text` to for an alert with these labels and value, or undefined when the
 * template uses more than this predicts (control structures, `query`, durations, timestamps).
 */
export function renderTemplate(text: string, data: TemplateData): string | undefined {
  if (parseTemplate(text)) return undefined;
  const tokens = lex(text) as Token[];
  let out = '';
  for (const token of tokens) {
    if (token.kind === 'text') {
      out += token.text;
      continue;
    }
    const value = pipeline(token.words, data);
    if (value === undefined) return undefined;
    out += typeof value === 'number' ? goPrintfG(value, -1) : value;
  }
  return out;
}

function operand(word: string, data: TemplateData): Value | undefined {
  const label = /^(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
  // Prometheus expands alert templates with missingkey=zero: a label the sample lacks is "" (promtool
  // 2.42 renders it so), not Go's "<no value>". An absent() sample lacks every label but its matchers'.
  if (label) return data.labels[label[1] as string] ?? '';
  if (word === '$value' || word === '.Value') return data.value;
  if (/^"([^"\\]|\\.)*"$/.test(word)) return JSON.parse(word) as string;
  if (/^`[^`]*`$/.test(word)) return word.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
  return undefined;
}

const RENDERED: Record<string, (args: Value[]) => Value | undefined> = {
  humanize: ([v]) => (typeof v === 'number' ? humanize(v) : undefined),
  humanizePercentage: ([v]) => (typeof v === 'number' ? `${goPrintfG(v * 100, 4)}%` : undefined),
  toUpper: ([v]) => (typeof v === 'string' ? v.toUpperCase() : undefined),
  toLower: ([v]) => (typeof v === 'string' ? v.toLowerCase() : undefined),
  printf: ([format, ...args]) => (typeof format === 'string' ? printf(format, args) : undefined),
};

/** `a | f b` is `f b a`: each command's result is the next one's last argument. */
function pipeline(words: string[], data: TemplateData): Value | undefined {
  let result: Value | undefined;
  const commands: string[][] = [[]];
  for (const w of words) {
    if (w === '|') commands.push([]);
    else commands.at(-1)?.push(w);
  }
  for (const [name, ...rest] of commands) {
    if (name === undefined) return undefined;
    const fn = RENDERED[name];
    const args = rest.map((w) => operand(w, data));
    if (result !== undefined) args.push(result);
    if (args.some((a) => a === undefined)) return undefined;
    if (fn) result = fn(args as Value[]);
    else if (rest.length === 0 && result === undefined) result = operand(name, data);
    else return undefined;
    if (result === undefined) return undefined;
  }
  return result;
}

/** Prometheus's `humanize`: SI prefixes and four significant digits (`%.4g`). */
function humanize(x: number): string {
  let v = x;
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return `${goPrintfG(v, 4)}${prefix}`;
}

/** Go's fmt verbs that annotations use on numbers and strings: %s %v %d %f %.Nf %g %.Ng %%. */
function printf(format: string, args: Value[]): string | undefined {
  let next = 0;
  let failed = false;
  const out = format.replace(
    /%(\.(\d+))?([svdfg%])/g,
    (_, _p, precision: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      const arg = args[next++];
      if (arg === undefined) {
        failed = true;
        return '';
      }
      if (verb === 's' || verb === 'v') return typeof arg === 'number' ? goPrintfG(arg, -1) : arg;
      if (typeof arg !== 'number') {
        failed = true;
        return '';
      }
      if (verb === 'd') {
        if (Number.isInteger(arg)) return String(arg);
        failed = true;
        return '';
      }
      if (verb === 'f') return arg.toFixed(precision === undefined ? 6 : Number(precision));
      return goPrintfG(arg, precision === undefined ? -1 : Number(precision));
    },
  );
  return failed || next !== args.length ? undefined : out;
}
