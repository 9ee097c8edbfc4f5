import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';

/**
 * How spec YAML is parsed: duplicate keys are errors, and `<<: *defaults` merges a mapping, as most
 * YAML in real repositories expects (Kubernetes manifests, Helm values, docker-compose files).
 */
export const YAML_OPTIONS = { uniqueKeys: true, merge: true } as const;

/** A spec is a few levels deep; past this a document is generated or hostile. */
export const MAX_DEPTH = 64;

/**
 * How many nodes a document may stand for once its aliases are expanded. A hundred SLOs sharing an
 * `alerting:` block by anchor expand to a few thousand; a "billion laughs" alias bomb, to billions.
 * The YAML package's own guard (`maxAliasCount`, 100) stops ordinary files, so this replaces it.
 */
export const MAX_EXPANDED_NODES = 1_000_000;

export interface ShapeProblem {
  offset: number;
  message: string;
  hint?: string;
}

/**
 * Refuses documents burnbook could not turn into JavaScript in bounded time and memory: nested
 * deeper than MAX_DEPTH, or aliases expanding past MAX_EXPANDED_NODES. Reports where it happens.
 */
export function checkShape(doc: Document): ShapeProblem[] {
  const expanded = new Map<Node, number>();
  let problem: ShapeProblem | undefined;
  const size = (node: unknown, depth: number): number => {
    if (problem) return 0;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) {
        problem = {
          offset: node.range?.[0] ?? 0,
          message: `alias *${node.source} has no anchor &${node.source} before it`,
          hint: 'define the anchor (&name) on a value above the alias (*name)',
        };
        return 0;
      }
      let n = expanded.get(target);
      if (n === undefined) {
        n = size(target, depth);
        expanded.set(target, n);
      }
      return n;
    }
    const at = (node as Node | undefined)?.range?.[0] ?? 0;
    if (depth > MAX_DEPTH) {
      problem = {
        offset: at,
        message: `nested more than ${MAX_DEPTH} levels deep`,
        hint: 'a burnbook spec needs a handful of levels; this looks generated or corrupt',
      };
      return 0;
    }
    let total = 1;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        total += isPair(item)
          ? size(item.key, depth + 1) + size(item.value, depth + 1)
          : size(item, depth + 1);
        if (total > MAX_EXPANDED_NODES && !problem) {
          problem = {
            offset: at,
            message: `its aliases expand to more than ${MAX_EXPANDED_NODES.toLocaleString('en')} values (an alias bomb?)`,
            hint: 'anchors may be reused freely, but not nested into an exponential expansion',
          };
        }
        if (problem) return 0;
      }
    } else if (!isScalar(node) && node !== null && node !== undefined) {
      return 1;
    }
    return total;
  };
  size(doc.contents, 0);
  return problem ? [problem] : [];
}
