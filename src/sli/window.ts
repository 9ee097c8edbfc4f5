import { dropsLabel } from '../promql/labels.ts';
import { checkPromql, withoutComments } from '../promql/parse.ts';
import { formatLabelName } from '../promql/strings.ts';
import type { SliProblem } from './kind.ts';

/**
 * Where the range goes in a query SLI: `{{window}}`, or Sloth's Go-template spelling `{{.window}}` (with or
 * without spaces), so a query copied from a Sloth spec works unchanged.
 */
const PLACEHOLDER = /\{\{\s*\.?window\s*\}\}/g;

export const WINDOW = '{{window}}';

/**
 * A duration as long as the placeholder it stands in for (`000000005m` for `{{window}}`), so PromQL that
 * does not parse reports a column that maps straight back to the spec.
 */
function standIn(placeholder: string): string {
  return `${'0'.repeat(placeholder.length - 2)}5m`;
}

export function hasWindow(expr: string): boolean {
  return new RegExp(PLACEHOLDER.source).test(expr);
}

/** The query for `window`, comments dropped: text burnbook wraps must end where the query ends. */
export function withWindow(expr: string, window: string): string {
  const stand = standIn(WINDOW);
  return withoutComments(expr.replace(PLACEHOLDER, stand)).replaceAll(stand, window);
}

/** The query with every placeholder replaced by a same-length duration, for parsing with columns intact. */
function parseable(expr: string): string {
  return expr.replace(PLACEHOLDER, (p) => standIn(p));
}

/**
 * Problems of one query with a window placeholder: none, or where it lacks the placeholder, does not
 * parse, or drops a groupBy label (every group's events would then add up into one series).
 */
export function windowQueryProblems(key: string, expr: string, groupBy: readonly string[]): SliProblem[] {
  if (!hasWindow(expr)) {
    return [
      {
        path: [key],
        message: `expected ${WINDOW} where the range goes, so burnbook can compute every window`,
        hint: `e.g. sum(rate(my_errors_total[${WINDOW}]))`,
      },
    ];
  }
  const text = parseable(expr);
  const error = checkPromql(text);
  if (error) {
    return [
      {
        path: [key],
        message: `PromQL does not parse: ${error.message}`,
        offset: error.offset,
        ...(error.hint ? { hint: error.hint } : {}),
      },
    ];
  }
  for (const label of groupBy) {
    const lost = dropsLabel(text, label);
    if (!lost) continue;
    // The stand-ins are written back as the placeholder, in the spelling burnbook documents.
    const written = (s: string) => s.replace(/\b0{8,}5m\b/g, WINDOW);
    return [
      {
        path: [key],
        message:
          `${written(lost.culprit)} keeps no ${formatLabelName(label)} label, so groupBy [${groupBy.join(', ')}] ` +
          `would see one series for all of them and a failing ${label} would be averaged away`,
        offset: lost.offset,
        hint: lost.fixed
          ? `keep the label: ${written(lost.fixed).trim()}`
          : `keep ${label} in the result, e.g. sum by (${formatLabelName(label)}) (rate(my_errors_total[${WINDOW}]))`,
      },
    ];
  }
  return [];
}
