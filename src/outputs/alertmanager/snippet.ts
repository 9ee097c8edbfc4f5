import { incidentLabelNames } from '../../conventions/names.ts';
import type { SiteUrls } from '../../conventions/urls.ts';
import { ABSENT_TIER } from '../../policy/tiers.ts';
import { alertingTiers, type Slo } from '../../spec/model.ts';

/**
 * Alerts per notification to burnbook. A group is one incident (see `incidentLabelNames`): at most every
 * tier of one SLO and group plus its absent-SLI alert, far under this. The cap bounds a body (burnbook takes
 * up to 8 MiB) should a group ever hold more; Alertmanager counts what it leaves out in `truncatedAlerts`.
 */
export const MAX_ALERTS_PER_NOTIFICATION = 500;

const BURNBOOK_ALERT = 'slo_service=~".+"';

/**
 * An Alertmanager config snippet to merge into yours: one incident, one page.
 * - The route groups burnbook's alerts by SLO and `groupBy` labels, not by alert name (every SLO named
 *   `availability` has the same alert names), so one incident is one notification group, updated while it
 *   lasts, whichever tiers fire in it. Its first child sends to burnbook's webhook and continues; the second,
 *   with no matchers, goes on to your root route's receiver with the same grouping. Routes of your own for
 *   these alerts (pager by severity, team) go in between, and inherit the grouping.
 * - Inhibit rules match on `slo_tier` with `equal` on the SLO labels: a firing tier holds back the slower
 *   tiers of its own SLO and group, and any tier holds back the absent-SLI alert (a burn that fires proves
 *   the SLI is read; the absent alert never holds back a tier: a ticket must not hide a page). One rule per
 *   tier name, not per SLO: adding an SLO with the default tiers needs no new rule. Tier inhibition ends when
 *   the faster tier resolves; the rules' hold and settled clauses (outputs/rules/incident.ts) make that the
 *   moment the slower tiers have nothing new to say.
 */
export function alertmanagerSnippet(slos: readonly Slo[], urls: SiteUrls) {
  // A new array each time: the YAML writer would write one shared array as an anchor and aliases.
  const incident = () => [...new Set(slos.flatMap((slo) => incidentLabelNames(slo)))];
  const slower = new Map<string, Set<string>>();
  for (const slo of slos) {
    // Silent tiers never fire, so they hold nothing back; imported tier names (Sloth's page-quick, …) get
    // their own rules like the default ones.
    const names = alertingTiers(slo).map((t) => t.name);
    names.slice(0, -1).forEach((source, i) => {
      const targets = slower.get(source) ?? new Set<string>();
      for (const name of names.slice(i + 1)) targets.add(name);
      slower.set(source, targets);
    });
  }
  const tierRules = [...slower].map(([source, targets]) => ({
    source_matchers: [BURNBOOK_ALERT, `slo_tier="${source}"`],
    target_matchers: [BURNBOOK_ALERT, `slo_tier=~"${[...targets].join('|')}"`],
    equal: incident(),
  }));
  const absentRule = {
    source_matchers: [BURNBOOK_ALERT, `slo_tier!="${ABSENT_TIER}"`],
    target_matchers: [BURNBOOK_ALERT, `slo_tier="${ABSENT_TIER}"`],
    equal: incident(),
  };
  return {
    route: {
      routes: [
        {
          matchers: [BURNBOOK_ALERT],
          group_by: incident(),
          routes: [{ receiver: 'burnbook', continue: true }, { matchers: [BURNBOOK_ALERT] }],
        },
      ],
    },
    receivers: [
      {
        name: 'burnbook',
        webhook_configs: [
          { url: urls.webhook, send_resolved: true, max_alerts: MAX_ALERTS_PER_NOTIFICATION },
        ],
      },
    ],
    inhibit_rules: slos.some((slo) => slo.alerting.absent) ? [...tierRules, absentRule] : tierRules,
  };
}
