import { formatDuration, parseDuration } from '../../policy/duration.ts';
import { BASE_WINDOW_MS } from '../../policy/windows.ts';
import { parseSelector } from '../../promql/parse.ts';
import { hasWindow, WINDOW } from '../../sli/window.ts';
import type { IssueProblem } from '../issues.ts';
import { burnbookName, problem } from './foreign.ts';
import type { Origins } from './translate.ts';

/**
 * What OpenSLO's two versions share on the way to burnbook/v1 (openslo-v1.ts, openslo-v1alpha.ts): PromQL
 * from a metric source turned into a query over `{{window}}`, ratio metrics into an SLI, time windows into a
 * period. OpenSLO says what a query returns, not how to window it: a query with `{{window}}` (or Sloth's
 * `{{.window}}`) is used as written; a counter's selector, or a sum of one, gets `rate(…[{{window}}])`.
 */

type Path = readonly PropertyKey[];

const SUM_OF_SELECTOR = /^\s*sum\s*((?:by|without)\s*\([^)]*\))?\s*\(([\s\S]*)\)\s*(#.*)?$/;

/**
 * A counter query as a rate over `{{window}}`, summed into one series per group, or a problem. `sumAll`:
 * the result is subtracted from another, so it must be one series (a plain selector is summed).
 */
export function windowed(query: string, path: Path, problems: IssueProblem[]): string | undefined {
  if (hasWindow(query)) return query;
  if (!('offset' in parseSelector(query))) return `sum(rate(${query.trim()}[${WINDOW}]))`;
  const sum = SUM_OF_SELECTOR.exec(query);
  if (sum && !('offset' in parseSelector(sum[2] as string))) {
    return `sum${sum[1] ? ` ${sum[1]}` : ''} (rate(${(sum[2] as string).trim()}[${WINDOW}]))`;
  }
  problems.push(
    problem(
      path,
      'burnbook needs a counter selector, a sum of one, or a query with {{window}} where the range goes',
      'e.g. http_requests_total{job="api"} or sum(rate(http_requests_total{job="api"}[{{window}}]))',
    ),
  );
  return undefined;
}

/** Good, bad and total queries (each with its path) as a burnbook SLI, the origins of its fields linked. */
export function ratioSli(
  q: { good?: [string, Path]; bad?: [string, Path]; total: [string, Path] },
  to: Path,
  origins: Origins,
  problems: IssueProblem[],
): Record<string, unknown> | undefined {
  const [totalText, totalAt] = q.total;
  if (q.bad) {
    const [badText, badAt] = q.bad;
    if (!('offset' in parseSelector(badText)) && !('offset' in parseSelector(totalText))) {
      origins.link([...to, 'ratio', 'errors'], badAt).link([...to, 'ratio', 'total'], totalAt);
      return { ratio: { errors: badText, total: totalText } };
    }
    const errors = windowed(badText, badAt, problems);
    const total = windowed(totalText, totalAt, problems);
    origins
      .link([...to, 'query', 'errors'], badAt, errors === badText)
      .link([...to, 'query', 'total'], totalAt, total === totalText);
    return errors && total ? { query: { errors, total } } : undefined;
  }
  const [goodText, goodAt] = q.good as [string, Path];
  const good = windowed(goodText, goodAt, problems);
  const total = windowed(totalText, totalAt, problems);
  if (!good || !total) return undefined;
  origins
    .link([...to, 'query', 'errors'], goodAt, false)
    .link([...to, 'query', 'total'], totalAt, total === totalText);
  // Bad events are all events less the good ones, each summed to one series so the two match.
  return { query: { errors: `sum(${total}) - sum(${good})`, total } };
}

/** A precomputed ratio (`raw`) as burnbook's errorRatio SLI: failures as they are, successes as 1 − ratio. */
export function rawSli(
  query: string,
  at: Path,
  kind: 'success' | 'failure',
  to: Path,
  origins: Origins,
  problems: IssueProblem[],
): Record<string, unknown> | undefined {
  let ratio = query;
  if (!hasWindow(query)) {
    if ('offset' in parseSelector(query)) {
      problems.push(problem(at, 'burnbook needs the ratio as a selector or a query with {{window}}'));
      return undefined;
    }
    ratio = `avg_over_time(${query.trim()}[${WINDOW}])`;
  }
  origins.link([...to, 'errorRatio', 'query'], at, ratio === query && kind === 'failure');
  return { errorRatio: { query: kind === 'failure' ? ratio : `1 - (${ratio})` } };
}

/** An OpenSLO duration shorthand as a burnbook period; months, quarters and years are calendar lengths burnbook does not guess. */
export function period(text: string, at: Path, problems: IssueProblem[]): string | undefined {
  const ms = parseDuration(text);
  if (ms) return formatDuration(ms);
  problems.push(
    problem(
      at,
      `time window ${text}: burnbook's periods are fixed lengths (m, h, d, w)`,
      'write 30d for a month, 90d for a quarter',
    ),
  );
  return undefined;
}

/** A burn-rate alert condition as a burnbook tier: OpenSLO has one window, so the short one is a twelfth of it (1h → 5m). */
export function conditionTier(
  condition: {
    name: string;
    severity: string;
    op: string;
    threshold: number;
    lookbackWindow: string;
    alertAfter?: string;
  },
  at: Path,
  problems: IssueProblem[],
): Record<string, unknown> | undefined {
  if (!['gt', 'gte'].includes(condition.op)) {
    problems.push(
      problem(
        [...at, 'op'],
        `op ${condition.op}: a burn-rate alert fires above its threshold`,
        'use op: gte or gt',
      ),
    );
    return undefined;
  }
  const longMs = parseDuration(condition.lookbackWindow);
  if (!longMs) {
    problems.push(
      problem([...at, 'lookbackWindow'], `lookbackWindow ${condition.lookbackWindow} is not a duration`),
    );
    return undefined;
  }
  const severity = burnbookName(condition.severity)?.replace(/^[^a-z]+/, '') || 'page';
  return {
    name: burnbookName(condition.name) ?? 'burn',
    severity,
    factor: condition.threshold,
    long: formatDuration(longMs),
    short: formatDuration(Math.max(BASE_WINDOW_MS, Math.round(longMs / 12 / 60_000) * 60_000)),
    for: condition.alertAfter ? formatDuration(parseDuration(condition.alertAfter) ?? 0) || '0s' : '0s',
  };
}
