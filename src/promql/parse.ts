import type { SyntaxNode, Tree } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { RE2JS } from 're2js';
import { decodeString, isLegacyLabelName } from './strings.ts';

/** Where PromQL text stops making sense: the offset into the text, what went wrong, what to do. */
export interface PromqlSyntaxError {
  offset: number;
  message: string;
  hint?: string;
}

/**
 * Checks PromQL as Prometheus's parser would: the syntax with Prometheus's own lezer grammar, then
 * what the grammar lets through and Prometheus rejects: string escapes (`"\d"`), regexes that are not
 * RE2 (`(?=x)`), bytes that are not UTF-8. Undefined when it parses.
 */
export function checkPromql(text: string): PromqlSyntaxError | undefined {
  if (!text.trim()) return { offset: 0, message: 'empty expression' };
  const tree = parser.parse(text);
  return firstError(text, tree) ?? badLiteral(tree, text);
}

function firstError(text: string, tree: Tree): PromqlSyntaxError | undefined {
  let error: PromqlSyntaxError | undefined;
  tree.iterate({
    enter: (node) => {
      if (error || !node.type.isError) return;
      const near = text.slice(node.from, node.from + 12);
      error = {
        offset: node.from,
        message: near ? `unexpected "${near}"` : 'unexpected end of expression',
      };
    },
  });
  return error;
}

/** The first string literal Prometheus would not decode, or regex it would not compile. */
function badLiteral(tree: Tree, text: string): PromqlSyntaxError | undefined {
  let error: PromqlSyntaxError | undefined;
  tree.iterate({
    enter: (node) => {
      if (error) return false;
      if (node.name === 'StringLiteral') {
        const decoded = decodeString(text.slice(node.from, node.to));
        if ('offset' in decoded) error = { ...decoded, offset: node.from + decoded.offset };
      } else if (node.name.endsWith('LabelMatcher')) {
        const op = node.node.getChild('MatchOp');
        const value = node.node.getChild('StringLiteral');
        if (!op || !value || !text.slice(op.from, op.to).includes('~')) return undefined;
        const decoded = decodeString(text.slice(value.from, value.to));
        if ('value' in decoded) error = regexError(decoded.value, value.from);
      }
      return undefined;
    },
  });
  return error;
}

/** Prometheus compiles `=~` values with Go's RE2 syntax, anchored; JavaScript's syntax differs. */
function regexError(pattern: string, offset: number): PromqlSyntaxError | undefined {
  try {
    RE2JS.compile(`^(?:${pattern})$`);
    return undefined;
  } catch (error) {
    return {
      offset,
      message: `Prometheus cannot compile this regex: ${(error as Error).message}`,
      hint: 'label regexes are RE2 (Go) syntax: no lookahead, lookbehind or backreferences',
    };
  }
}

/** Whether `value` matches a PromQL regex matcher's pattern, with RE2 semantics, fully anchored. */
export function regexMatches(pattern: string, value: string): boolean {
  return compiled(pattern).matches(value);
}

const regexes = new Map<string, RE2JS>();
function compiled(pattern: string): RE2JS {
  let re = regexes.get(pattern);
  if (!re) {
    if (regexes.size >= 10_000) regexes.clear();
    re = RE2JS.compile(`^(?:${pattern})$`);
    regexes.set(pattern, re);
  }
  return re;
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** Whether a series whose label has `value` (`''` when it lacks the label) passes the matcher, as Prometheus decides. */
export function matcherMatches(m: LabelMatcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return regexMatches(m.value, value);
    case '!~':
      return !regexMatches(m.value, value);
  }
}

export interface Selector {
  metric: string;
  matchers: LabelMatcher[];
}

/**
 * A plain vector selector (`metric{label="value"}`) taken apart, or where and why the text
 * is something else. Ratio and latency SLIs need one so burnbook can wrap it in
 * `rate(...[window])`. The same selector is asked for when the spec is checked, for every rule
 * and for the promtool tests, so answers are remembered (frozen: callers share them).
 */
export function parseSelector(text: string): Selector | PromqlSyntaxError {
  let parsed = selectors.get(text);
  if (!parsed) {
    if (selectors.size >= 50_000) selectors.clear();
    parsed = deepFreeze(parseSelectorOnce(text));
    selectors.set(text, parsed);
  }
  return parsed;
}

const selectors = new Map<string, Selector | PromqlSyntaxError>();

function deepFreeze<T extends Selector | PromqlSyntaxError>(value: T): T {
  if ('matchers' in value) {
    for (const m of value.matchers) Object.freeze(m);
    Object.freeze(value.matchers);
  }
  return Object.freeze(value);
}

function parseSelectorOnce(text: string): Selector | PromqlSyntaxError {
  const syntax = checkPromql(text);
  if (syntax) return { ...syntax, message: `PromQL does not parse: ${syntax.message}` };
  const top = parser.parse(text).topNode.firstChild;
  if (top?.name !== 'VectorSelector') {
    return {
      offset: 0,
      message: 'expected a series selector such as http_requests_total{job="api"}, not an expression',
    };
  }
  const matchers: LabelMatcher[] = [];
  let metric = '';
  for (let child = top.firstChild; child; child = child.nextSibling) {
    if (child.name === 'Identifier') metric = text.slice(child.from, child.to);
    if (child.name === 'LabelMatchers') {
      for (let m = child.firstChild; m; m = m.nextSibling) {
        // A quoted name alone in the braces is the metric name: {"http.server.duration"}.
        if (m.name === 'QuotedLabelName') metric = stringValue(m, text);
        else {
          const matcher = readMatcher(m, text);
          if (matcher) matchers.push(matcher);
        }
      }
    }
  }
  const nameMatcher = matchers.find((m) => m.name === '__name__');
  if (!metric && nameMatcher?.op === '=') metric = nameMatcher.value;
  if (!metric) return { offset: 0, message: 'expected a metric name before the braces' };
  return { metric, matchers: matchers.filter((m) => m.name !== '__name__') };
}

function stringValue(node: SyntaxNode, text: string): string {
  const literal = node.name === 'StringLiteral' ? node : node.getChild('StringLiteral');
  if (!literal) return text.slice(node.from, node.to);
  const decoded = decodeString(text.slice(literal.from, literal.to));
  // checkPromql has already refused every literal that does not decode.
  return 'value' in decoded ? decoded.value : '';
}

function readMatcher(m: SyntaxNode, text: string): LabelMatcher | undefined {
  const name = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
  const op = m.getChild('MatchOp');
  const value = m.getChild('StringLiteral');
  if (!name || !op || !value) return undefined;
  return {
    name: name.name === 'LabelName' ? text.slice(name.from, name.to) : stringValue(name, text),
    op: text.slice(op.from, op.to) as MatchOp,
    value: stringValue(value, text),
  };
}

/**
 * PromQL text as Prometheus reads it, without its comments: a `# comment` spliced into a larger
 * expression would swallow whatever burnbook writes after it. Line breaks become spaces.
 */
export function withoutComments(text: string): string {
  const tree = parser.parse(text);
  let out = '';
  let at = 0;
  tree.iterate({
    enter: (node) => {
      if (node.name !== 'LineComment' && node.name !== 'StringLiteral') return undefined;
      out += text.slice(at, node.from).replace(/\s+/g, ' ');
      if (node.name === 'StringLiteral') out += text.slice(node.from, node.to);
      at = node.to;
      return false;
    },
  });
  return (out + text.slice(at).replace(/\s+/g, ' ')).trim();
}

/**
 * Names in `text` only Prometheus 3 reads (quoted UTF-8 label names such as `"http.route"`), with
 * their offsets. `metrics`: count a quoted metric name (`{"http.server.duration"}`) too; burnbook
 * prints the metric of a selector it rebuilds as `__name__="..."`, which every version reads.
 */
export function utf8Names(text: string, metrics: boolean): Array<{ name: string; offset: number }> {
  const out: Array<{ name: string; offset: number }> = [];
  parser.parse(text).iterate({
    enter: (node) => {
      if (node.name !== 'QuotedLabelName') return undefined;
      if (!metrics && node.node.parent?.name === 'LabelMatchers') return false;
      const name = stringValue(node.node, text);
      if (!isLegacyLabelName(name)) out.push({ name, offset: node.from });
      return false;
    },
  });
  return out;
}
