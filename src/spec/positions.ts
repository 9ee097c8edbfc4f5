import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  Scalar,
} from 'yaml';

/** Where a path in a parsed YAML document sits in its file: 1-based line and column. */
export interface Position {
  line: number;
  col: number;
}

export class SourcePositions {
  private readonly lines: string[];

  constructor(
    private readonly doc: Document,
    private readonly counter: LineCounter,
    text: string,
  ) {
    this.lines = text.split(/\r?\n/);
  }

  sourceLine(line: number): string | undefined {
    return this.lines[line - 1];
  }

  at(offset: number): Position {
    return this.counter.linePos(offset);
  }

  /**
   * The position of the deepest node on `path` that exists. With `key`, the position of that
   * key inside the map at `path` (for unknown keys). With `offset`, a column inside the string
   * value at `path` (for PromQL errors).
   */
  find(path: readonly PropertyKey[], opts: { key?: string; offset?: number } = {}): Position {
    const { node, complete } = this.deepest(path);
    if (opts.key !== undefined && complete && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === opts.key);
      if (pair && isNode(pair.key) && pair.key.range) return this.at(pair.key.range[0]);
    }
    if (!node?.range) return { line: 1, col: 1 };
    if (complete && opts.offset !== undefined && isScalar(node)) return this.inScalar(node, opts.offset);
    return this.at(node.range[0]);
  }

  /** The text of the scalar at `path` as the file spells it (`0.2500`), when it is a plain scalar. */
  literal(path: readonly PropertyKey[]): string | undefined {
    const { node, complete } = this.deepest(path);
    if (!complete || !isScalar(node) || node.type !== Scalar.PLAIN) return undefined;
    return typeof node.source === 'string' ? node.source : undefined;
  }

  private deepest(path: readonly PropertyKey[]): { node: Node | undefined; complete: boolean } {
    let node: unknown = this.doc.contents;
    for (const step of path) {
      let next: unknown;
      if (isMap(node))
        next = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === step)?.value;
      else if (isSeq(node) && typeof step === 'number') next = node.items[step];
      if (isAlias(next)) next = next.resolve(this.doc);
      if (!isNode(next)) return { node: node as Node, complete: false };
      node = next;
    }
    return { node: node as Node, complete: true };
  }

  private inScalar(node: Scalar, offset: number): Position {
    const [start] = node.range as [number, number, number];
    if (node.type === Scalar.PLAIN) return this.at(start + offset);
    if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE)
      return this.at(start + 1 + offset);
    if (node.type === Scalar.BLOCK_LITERAL) {
      // Content is indented on the lines after the `|` header; map the offset line by line.
      const value = String(node.value).trimEnd();
      const before = value.slice(0, Math.min(offset, value.length)).split('\n');
      const first = this.at(start).line;
      const onHeader = /[|>][-+0-9]*\s*(#.*)?$/.test(this.sourceLine(first) ?? '');
      const line = first + (onHeader ? 1 : 0) + before.length - 1;
      const indent = (this.sourceLine(line) ?? '').search(/\S|$/);
      return { line, col: indent + 1 + (before.at(-1)?.length ?? 0) };
    }
    return this.at(start);
  }
}
