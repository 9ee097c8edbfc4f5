/** A problem in a spec file that a person can act on: where, what, and what to do instead. */
export interface SpecError {
  file: string;
  line: number;
  col: number;
  /** The path in the document, e.g. `slos[0].sli.ratio.errors`. */
  path: string;
  message: string;
  hint?: string;
  /** The source line, for a caret under the column. */
  source?: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

export function formatSpecError(e: SpecError): string {
  const lines = [`${e.file}:${e.line}:${e.col}  ${e.path ? `${e.path}: ` : ''}${e.message}`];
  if (e.source !== undefined) {
    lines.push(`    ${e.source}`, `    ${' '.repeat(Math.max(0, e.col - 1))}^`);
  }
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  return lines.join('\n');
}

/** Thrown by anything that refuses to act on invalid specs; carries every error found. */
export class SpecErrors extends Error {
  constructor(readonly errors: SpecError[]) {
    super(errors.map(formatSpecError).join('\n\n'));
  }
}
