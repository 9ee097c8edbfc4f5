/**
 * An SLO whose alert fires within seconds of a burn, for the tests that drive a real Prometheus and
 * Alertmanager. burnbook measures no window shorter than 5m, so its tier is as fast as that allows: 2.5% of
 * a 1-day budget within 6m (burn factor 2.5% × 1d / 6m = 6), confirmed over 5m, for 1s. At a 90% objective
 * (budget 0.1) it fires above an error ratio of 0.6: at 20 good requests a second before a burn and 50
 * failing ones during it, the 5m ratio passes 0.6 after a few seconds; recovery floods the windows with
 * good requests, and it drops under 0.6 within seconds. One alert per `region`.
 */
import type { Slo } from '../../src/spec/model.ts';
import { slosFrom } from './promtool-scenario.ts';

export const FAST_SPEC = `
apiVersion: burnbook/v1
service: shop
scrapeInterval: 1s
slos:
  - name: checkout
    objective: 90
    period: 1d
    sli:
      ratio:
        errors: shop_requests_total{job="shop",code=~"5.."}
        total: shop_requests_total{job="shop"}
    groupBy: [region]
    breakdown: [code]
    alerting:
      tiers:
        - {name: fast, severity: page, budgetPercent: 2.5, long: 6m, short: 5m, for: 1s}
`;

const [slo] = slosFrom(FAST_SPEC);
if (!slo) throw new Error('the fast SLO did not load');
export const FAST_SLO: Slo = slo;
