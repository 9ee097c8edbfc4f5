import { ruleFileName } from '../../conventions/names.ts';
import { promtoolCheck } from '../../promtool/check.ts';
import { byService } from '../../spec/by-service.ts';
import { sources, yamlFile } from '../generated.ts';
import { type Output, outputFile } from '../output.ts';
import type { AlertOptions } from '../rules/alerting.ts';
import { ruleGroup } from '../rules/groups.ts';
import { innerRuleFile } from '../rules/wrapped.ts';

export interface PrometheusRuleOptions {
  dir: string;
  alerts: AlertOptions;
  /** `metadata.name` is this prefix and the service: `burnbook-checkout`. */
  namePrefix: string;
  namespace?: string;
  /** Labels on each object, for the `ruleSelector` of the Prometheus resource that should load them. */
  labels: Record<string, string>;
}

/** A Kubernetes object name (RFC 1123 subdomain) for a service: burnbook names allow `_`, Kubernetes names do not. */
export function objectName(prefix: string, service: string): string {
  return `${prefix}${service}`.replace(/_/g, '-');
}

/**
 * `<dir>/<service>.yaml`: one `PrometheusRule` (monitoring.coreos.com/v1) per service holding the same rule
 * groups as the plain rule files, for clusters where prometheus-operator loads rules. promtool checks the
 * groups inside each object; the objects are `kubectl apply -f <dir>/`-ready.
 */
export function prometheusRuleOutput(opts: PrometheusRuleOptions): Output {
  return {
    name: 'PrometheusRule objects',
    dir: opts.dir,
    prune: true,
    *files(slos) {
      for (const [service, own] of byService(slos)) {
        yield outputFile(ruleFileName(service), own, () => {
          const object = {
            apiVersion: 'monitoring.coreos.com/v1',
            kind: 'PrometheusRule',
            metadata: {
              name: objectName(opts.namePrefix, service),
              ...(opts.namespace ? { namespace: opts.namespace } : {}),
              labels: { 'app.kubernetes.io/managed-by': 'burnbook', ...opts.labels },
            },
            spec: { groups: own.map((slo) => ruleGroup(slo, opts.alerts)) },
          };
          return yamlFile(`from ${sources(own)}`, object);
        });
      }
    },
    check: () => promtoolCheck(innerRuleFile),
  };
}
