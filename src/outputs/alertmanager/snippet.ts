import { sloIdentity } from '../../conventions/names.ts';
import type { SiteUrls } from '../../conventions/urls.ts';
import type { Slo } from '../../spec/model.ts';

/**
 * An Alertmanager config snippet to merge into yours: a route and webhook receiver for
 * burnbook's alerts, and inhibit rules so a faster tier silences the slower tiers of the
 * same SLO and group while it fires (one page per incident, not three), and any firing tier
 * silences the SLO's absent-SLI alert. A burn that fires proves the SLI is read; the two
 * overlap only while a long window still holds data from before the series went away, and then
 * the page already has someone's attention. The absent alert never silences a tier: a ticket
 * must not hide a page.
 */
export function alertmanagerSnippet(slos: readonly Slo[], urls: SiteUrls) {
  const matchers = (labels: Record<string, string>) =>
    Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return {
    route: {
      routes: [{ receiver: 'burnbook', matchers: ['slo_service=~".+"'], continue: true }],
    },
    receivers: [
      {
        name: 'burnbook',
        webhook_configs: [{ url: urls.webhook, send_resolved: true }],
      },
    ],
    inhibit_rules: slos.flatMap((slo) => {
      const tiers = slo.alerting.tiers;
      // A new array each time: the YAML writer would write one shared array as an anchor and aliases.
      const equal = () => ['slo_service', 'slo', ...slo.groupBy];
      const slower = tiers.slice(0, -1).map((tier, i) => ({
        source_matchers: [...matchers(sloIdentity(slo)), `slo_tier="${tier.name}"`],
        target_matchers: [
          ...matchers(sloIdentity(slo)),
          `slo_tier=~"${tiers
            .slice(i + 1)
            .map((t) => t.name)
            .join('|')}"`,
        ],
        equal: equal(),
      }));
      const absent = slo.alerting.absent;
      if (!absent) return slower;
      return [
        ...slower,
        {
          source_matchers: [
            ...matchers(sloIdentity(slo)),
            `slo_tier=~"${tiers.map((t) => t.name).join('|')}"`,
          ],
          target_matchers: [...matchers(sloIdentity(slo)), `slo_tier="${absent.name}"`],
          equal: equal(),
        },
      ];
    }),
  };
}
