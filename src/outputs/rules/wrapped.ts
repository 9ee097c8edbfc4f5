import { parse } from 'yaml';
import { toYaml } from '../yaml.ts';

/**
 * The plain Prometheus rule file inside a file that wraps the same rule groups (a PrometheusRule's `spec`,
 * a Mimir namespace), so promtool checks exactly what the ruler will load.
 */
export function innerRuleFile(content: string): string {
  const wrapper = parse(content) as { groups?: unknown; spec?: { groups?: unknown } };
  return toYaml({ groups: wrapper.spec?.groups ?? wrapper.groups });
}
