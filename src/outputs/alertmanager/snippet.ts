import { sloIdentity } from '../../conventions/names.ts';
import type { SiteUrls } from '../../conventions/urls.ts';
import type { Slo } from '../../spec/model.ts';

/**
 * An Alertmanager config snippet to merge into yours: a route and webhook receiver for
 * burnbook's alerts, and inhibit rules so a faster tier silences the slower tiers of the
 * same SLO and group while it fires (one page per incident, not three).
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
      return tiers.slice(0, -1).map((tier, i) => ({
        source_matchers: [...matchers(sloIdentity(slo)), `slo_tier="${tier.name}"`],
        target_matchers: [
          ...matchers(sloIdentity(slo)),
          `slo_tier=~"${tiers
            .slice(i + 1)
            .map((t) => t.name)
            .join('|')}"`,
        ],
        equal: ['slo_service', 'slo', ...slo.groupBy],
      }));
    }),
  };
}
