import type { SyntaxNode, Tree } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';

/** Where PromQL text stops making sense: the offset into the text and what went wrong. */
export interface PromqlSyntaxError {
  offset: number;
  message: string;
}

/** Parse-checks PromQL with Prometheus's own lezer grammar; undefined when it parses. */
export function checkPromql(text: string): PromqlSyntaxError | undefined {
  if (!text.trim()) return { offset: 0, message: 'empty expression' };
  return firstError(text, parser.parse(text));
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

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
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
  if (!text.trim()) return { offset: 0, message: 'PromQL does not parse: empty expression' };
  const tree = parser.parse(text);
  const syntax = firstError(text, tree);
  if (syntax) return { ...syntax, message: `PromQL does not parse: ${syntax.message}` };
  const top = tree.topNode.firstChild;
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
    if (child.name === 'LabelMatchers') matchers.push(...readMatchers(child, text));
  }
  const nameMatcher = matchers.find((m) => m.name === '__name__');
  if (!metric && nameMatcher?.op === '=') metric = nameMatcher.value;
  if (!metric) return { offset: 0, message: 'expected a metric name before the braces' };
  return { metric, matchers: matchers.filter((m) => m.name !== '__name__') };
}

function readMatchers(node: SyntaxNode, text: string): LabelMatcher[] {
  const out: LabelMatcher[] = [];
  for (let m = node.firstChild; m; m = m.nextSibling) {
    const name = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
    const op = m.getChild('MatchOp');
    const value = m.getChild('StringLiteral');
    if (!name || !op || !value) continue;
    out.push({
      name: unquote(text.slice(name.from, name.to)),
      op: text.slice(op.from, op.to) as MatchOp,
      value: unquote(text.slice(value.from, value.to)),
    });
  }
  return out;
}

function unquote(literal: string): string {
  const quote = literal[0];
  if (quote === '`') return literal.slice(1, -1);
  if (quote === "'") return JSON.parse(`"${literal.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`);
  if (quote === '"') return JSON.parse(literal);
  return literal;
}
