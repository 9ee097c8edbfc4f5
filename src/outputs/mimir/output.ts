import { ruleFileName } from '../../conventions/names.ts';
import { promtoolCheck } from '../../promtool/check.ts';
import { byService } from '../../spec/by-service.ts';
import { sources, yamlFile } from '../generated.ts';
import { type Output, outputFile } from '../output.ts';
import type { AlertOptions } from '../rules/alerting.ts';
import { ruleGroup } from '../rules/groups.ts';
import { innerRuleFile } from '../rules/wrapped.ts';

/**
 * `<dir>/<service>.yaml`: the rule groups in mimirtool's (and cortextool's) rule file format, a `namespace`
 * beside `groups` (mimirtool pkg/mimirtool/rules RuleNamespace), one namespace per service, so
 * `mimirtool rules sync --rule-dirs <dir>` loads every service into its own namespace of the ruler.
 */
export function mimirOutput({ dir, alerts }: { dir: string; alerts: AlertOptions }): Output {
  return {
    name: 'Mimir rule namespaces',
    dir,
    prune: true,
    *files(slos) {
      for (const [service, own] of byService(slos)) {
        yield outputFile(ruleFileName(service), own, () =>
          yamlFile(`from ${sources(own)}`, {
            namespace: service,
            groups: own.map((slo) => ruleGroup(slo, alerts)),
          }),
        );
      }
    },
    check: () => promtoolCheck(innerRuleFile),
  };
}
