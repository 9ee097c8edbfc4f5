import { promtoolTestFileName, ruleFileName } from '../../conventions/names.ts';
import { promtoolCheck } from '../../promtool/check.ts';
import { byService } from '../../spec/by-service.ts';
import type { Slo } from '../../spec/model.ts';
import { sources, yamlFile } from '../generated.ts';
import { type Output, outputFile } from '../output.ts';
import type { AlertOptions } from './alerting.ts';
import { ruleGroup } from './groups.ts';
import { promtoolTests } from './promtool-tests.ts';

export interface RulesOutputOptions {
  /** The rules directory (`--out`). */
  dir: string;
  alerts: AlertOptions;
}

/**
 * `rules/<service>.yaml`: one rule file per service, checked with `promtool check rules` as each is
 * staged. The rules directory is the output's own: rule files of deleted services are removed.
 */
export function rulesOutput({ dir, alerts }: RulesOutputOptions): Output {
  return {
    name: 'rule files',
    dir,
    prune: true,
    *files(slos) {
      for (const [service, own] of byService(slos)) {
        yield outputFile(ruleFileName(service), own, () =>
          yamlFile(`from ${sources(own)}`, { groups: own.map((slo) => ruleGroup(slo, alerts)) }),
        );
      }
    },
    check: promtoolCheck,
  };
}

/**
 * `rules/tests/<service>-<slo>.test.yaml`: a `promtool test rules` file per SLO proving each tier, in the
 * rules directory (pruned with it) but out of the `rules/*.yaml` glob Prometheus loads.
 */
export function promtoolTestsOutput({ dir, alerts }: RulesOutputOptions): Output {
  return {
    name: 'promtool tests',
    dir,
    prune: true,
    *files(slos: readonly Slo[]) {
      for (const slo of [...byService(slos).values()].flat()) {
        // Whether there is a test is only known once it is built: an SLI that cannot be fed series has none.
        yield outputFile(promtoolTestFileName(slo), [slo], () => {
          const tests = promtoolTests({ slo, ruleFile: `../${ruleFileName(slo.service)}`, options: alerts });
          return (
            tests &&
            yamlFile(`from ${slo.source.file}; proves each tier of ${slo.service}/${slo.name}`, tests)
          );
        });
      }
    },
  };
}
