import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { labelList } from './build.ts';

/** Where an expression's result loses a label for certain, and the expression written to keep it. */
export interface DroppedLabel {
  /** Offset of the part that drops it, in the text given. */
  offset: number;
  /** That part, as written, e.g. `sum(...)`. */
  culprit: string;
  /** The whole text with that part fixed, when burnbook knows how (an aggregation's `by`/`without`). */
  fixed?: string;
}

const SET_OPS = new Set(['And', 'Unless']);
const KEEP_LABELS = new Set(['Topk', 'Bottomk', 'LimitK', 'LimitRatio']);
const LABEL_FUNCTIONS = new Set(['label_replace', 'label_join']);
const EXPRESSIONS = new Set([
  'ParenExpr',
  'UnaryExpr',
  'SubqueryExpr',
  'OffsetExpr',
  'StepInvariantExpr',
  'MatrixSelector',
  'VectorSelector',
  'NumberLiteral',
  'StringLiteral',
  'AggregateExpr',
  'FunctionCall',
  'BinaryExpr',
]);

/**
 * Whether the result of PromQL `text` surely has no `label`, following Prometheus's rules for what
 * each operation keeps (docs: "Operators", "Aggregation operators"): `sum(x)` keeps none,
 * `sum by (a)` only `a`, `without (a)` all but `a`, `a / on(b) c` only `b`, `vector(1)` none.
 * Selectors may carry any label, so only a certain loss is reported.
 */
export function dropsLabel(text: string, label: string): DroppedLabel | undefined {
  const top = parser.parse(text).topNode.firstChild;
  return top ? dropped(top, text, label) : undefined;
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function names(grouping: SyntaxNode | null, text: string): string[] {
  if (!grouping) return [];
  return children(grouping).map((n) => {
    const raw = text.slice(n.from, n.to);
    return n.name === 'QuotedLabelName' ? raw.slice(1, -1) : raw;
  });
}

function isScalar(node: SyntaxNode, text: string): boolean {
  if (node.name === 'NumberLiteral' || node.name === 'StringLiteral') return true;
  if (node.name === 'ParenExpr' || node.name === 'UnaryExpr') {
    const inner = children(node).at(-1);
    return inner ? isScalar(inner, text) : false;
  }
  if (node.name === 'FunctionCall') {
    const fn = node.getChild('FunctionIdentifier');
    return ['scalar', 'time', 'pi'].includes(fn ? text.slice(fn.from, fn.to) : '');
  }
  return false;
}

function loss(node: SyntaxNode, text: string, fixed?: string): DroppedLabel {
  const culprit = text.slice(node.from, node.to);
  return {
    offset: node.from,
    culprit: culprit.length > 60 ? `${culprit.slice(0, 57)}...` : culprit,
    ...(fixed === undefined ? {} : { fixed }),
  };
}

function dropped(node: SyntaxNode, text: string, label: string): DroppedLabel | undefined {
  switch (node.name) {
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'SubqueryExpr':
    case 'OffsetExpr':
    case 'StepInvariantExpr':
    case 'MatrixSelector': {
      const inner = children(node).find((c) => EXPRESSIONS.has(c.name));
      return inner ? dropped(inner, text, label) : undefined;
    }
    case 'NumberLiteral':
    case 'StringLiteral':
      return loss(node, text);
    case 'AggregateExpr':
      return droppedByAggregation(node, text, label);
    case 'FunctionCall':
      return droppedByFunction(node, text, label);
    case 'BinaryExpr':
      return droppedByBinary(node, text, label);
    default:
      return undefined;
  }
}

function droppedByAggregation(node: SyntaxNode, text: string, label: string): DroppedLabel | undefined {
  const op = node.getChild('AggregateOp');
  const modifier = node.getChild('AggregateModifier');
  const body = node.getChild('FunctionCallBody');
  const input = body ? children(body).at(-1) : undefined;
  const inner = () => (input ? dropped(input, text, label) : undefined);
  if (op?.firstChild && KEEP_LABELS.has(op.firstChild.name)) return inner();
  const listed = names(modifier?.getChild('GroupingLabels') ?? null, text);
  const without = Boolean(modifier?.getChild('Without'));
  if (modifier && !without && listed.includes(label)) return inner();
  if (modifier && without && !listed.includes(label)) return inner();
  // Rewrite the modifier so the label stays: `by (..., label)`, or `without` minus it.
  const clause = without
    ? `without ${labelList(listed.filter((l) => l !== label))}`
    : `by ${labelList([...listed, label])}`;
  if (modifier) return loss(node, text, `${text.slice(0, modifier.from)}${clause}${text.slice(modifier.to)}`);
  if (!op) return loss(node, text);
  return loss(node, text, `${text.slice(0, op.to)} ${clause} ${text.slice(op.to).trimStart()}`);
}

function droppedByFunction(node: SyntaxNode, text: string, label: string): DroppedLabel | undefined {
  const fn = node.getChild('FunctionIdentifier');
  const name = fn ? text.slice(fn.from, fn.to) : '';
  const body = node.getChild('FunctionCallBody');
  const args = body ? children(body) : [];
  if (LABEL_FUNCTIONS.has(name)) {
    const target = args[1];
    if (target && text.slice(target.from + 1, target.to - 1) === label) return undefined;
  }
  const kept = args.filter((a) => !isScalar(a, text));
  if (!kept.length) return loss(node, text);
  const losses = kept.map((a) => dropped(a, text, label));
  return losses.every(Boolean) ? losses[0] : undefined;
}

function droppedByBinary(node: SyntaxNode, text: string, label: string): DroppedLabel | undefined {
  const [left, op, ...rest] = children(node);
  const right = rest.at(-1);
  if (!left || !op || !right) return undefined;
  const matching = node.getChild('MatchingModifierClause');
  if (SET_OPS.has(op.name)) return dropped(left, text, label);
  if (op.name === 'Or') return dropped(left, text, label) ?? dropped(right, text, label);
  if (isScalar(left, text)) return dropped(right, text, label);
  if (isScalar(right, text)) return dropped(left, text, label);
  if (!matching) return dropped(left, text, label);
  const listed = names(matching.getChild('GroupingLabels'), text);
  const groupLeft = matching.getChild('GroupLeft');
  const groupRight = matching.getChild('GroupRight');
  if (groupLeft || groupRight) {
    const included = names(matching.getChildren('GroupingLabels')[1] ?? null, text);
    if (included.includes(label)) return undefined;
    return dropped(groupLeft ? left : right, text, label);
  }
  const on = matching.getChild('On') !== null;
  if (on !== listed.includes(label)) return loss(matching, text);
  return dropped(left, text, label);
}
