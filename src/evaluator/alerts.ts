import { alertLabels, alertName } from '../conventions/names.ts';
import { absentAnnotations } from '../outputs/rules/absent.ts';
import { type AlertOptions, alertAnnotations } from '../outputs/rules/alerting.ts';
import { goPrintfG3 } from '../outputs/rules/go-format.ts';
import type { Tier } from '../policy/tiers.ts';
import type { AbsentAlert, Slo } from '../spec/model.ts';
import type { TierState } from './state.ts';

/** An alert as Alertmanager's `POST /api/v2/alerts` takes it. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/**
 * The labels and annotations Prometheus would put on the generated rule's alert for this group:
 * the rule's labels plus the series' group labels, and the annotations rendered with `$value`
 * (the long window's error ratio, the rule's first operand) and `$labels` filled in.
 */
export function alertContent(
  slo: Slo,
  tier: Tier,
  group: Record<string, string>,
  longErrorRatio: number,
  options: AlertOptions,
) {
  return {
    labels: { alertname: alertName(slo, tier), ...alertLabels(slo, tier), ...group },
    annotations: alertAnnotations(slo, tier, options, {
      value: goPrintfG3(longErrorRatio),
      label: (name) => group[name] ?? '',
    }),
  };
}

/** The same for the SLO's absent-SLI alert, whose `$value` is always 1 (see outputs/rules/absent.ts). */
export function absentContent(
  slo: Slo,
  absent: AbsentAlert,
  group: Record<string, string>,
  options: AlertOptions,
) {
  return {
    labels: { alertname: alertName(slo, absent), ...alertLabels(slo, absent), ...group },
    annotations: absentAnnotations(slo, absent, options, { value: '1', label: (name) => group[name] ?? '' }),
  };
}

/**
 * What to send for one alert now, or nothing. Firing alerts are valid for a few evaluation
 * intervals, as Prometheus does, so one lost evaluation does not resolve them but a dead
 * evaluator's alerts do end; a resolved alert ends when it was resolved.
 */
export function postable(
  content: Pick<PostableAlert, 'labels' | 'annotations'>,
  state: TierState,
  now: number,
  validForMs: number,
  generatorURL: string,
): PostableAlert | undefined {
  if ((state.state !== 'firing' && state.state !== 'resolved') || state.firedAt === undefined)
    return undefined;
  const endsAt = state.state === 'resolved' ? (state.resolvedAt ?? now) : now + validForMs;
  return {
    ...content,
    startsAt: new Date(state.firedAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    generatorURL,
  };
}
