import type { Silence } from '../evaluator/alertmanager-client.ts';
import { regexMatches } from '../promql/parse.ts';

/**
 * Whether a silence's matchers all match an alert's labels, as Alertmanager decides it: a missing label is
 * the empty string, regexes are RE2 and anchored, `isEqual: false` negates. A regex Alertmanager accepted but
 * RE2JS cannot compile matches nothing.
 */
export function silenceMatches(silence: Pick<Silence, 'matchers'>, labels: Record<string, string>): boolean {
  return silence.matchers.every((matcher) => {
    const value = Object.hasOwn(labels, matcher.name) ? (labels[matcher.name] as string) : '';
    let equal: boolean;
    try {
      equal = matcher.isRegex ? regexMatches(matcher.value, value) : value === matcher.value;
    } catch {
      return false;
    }
    return equal === matcher.isEqual;
  });
}

/**
 * The silences that covered any of the incident's alerts while the incident lasted ([start, end], `end`
 * null while open), oldest first.
 */
export function silencesCovering(
  silences: readonly Silence[],
  alerts: ReadonlyArray<{ labels: Record<string, string> }>,
  startMs: number,
  endMs: number | null,
): Silence[] {
  return silences
    .filter((s) => s.startsAt <= (endMs ?? Number.POSITIVE_INFINITY) && s.endsAt >= startMs)
    .filter((s) => alerts.some((alert) => silenceMatches(s, alert.labels)))
    .sort((a, b) => a.startsAt - b.startsAt);
}
