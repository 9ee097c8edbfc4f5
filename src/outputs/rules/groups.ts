import { ruleGroupName } from '../../conventions/names.ts';
import { alertingTiers, type Slo } from '../../spec/model.ts';
import { absentAlertingRule } from './absent.ts';
import { type AlertingRule, type AlertOptions, alertingRule } from './alerting.ts';
import { type RecordingRule, recordingRules } from './recording.ts';

export interface RuleGroup {
  name: string;
  rules: Array<RecordingRule | AlertingRule>;
}

/**
 * One group per SLO: Prometheus evaluates a group's rules in order, so the alerts read the
 * ratios recorded a moment earlier in the same evaluation, never a stale cycle. Silent tiers
 * (alerting disabled) keep their recordings and lose only their alerting rule.
 */
export function ruleGroup(slo: Slo, opts: AlertOptions): RuleGroup {
  return {
    name: ruleGroupName(slo),
    rules: [
      ...recordingRules(slo),
      ...alertingTiers(slo).map((tier) => alertingRule(slo, tier, opts)),
      ...(slo.alerting.absent ? [absentAlertingRule(slo, slo.alerting.absent, opts)] : []),
    ],
  };
}
