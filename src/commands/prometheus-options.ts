import type { PrometheusClientOptions } from '../prometheus/client.ts';
import { durationFlag } from './duration-flag.ts';
import type { PrometheusFlags } from './flags.ts';

const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/;

/** Client options from the flags, or a message for the user saying what is wrong with them. */
export function prometheusClientOptions(flags: PrometheusFlags): PrometheusClientOptions | string {
  if (!flags.prometheusUrl) return 'Give Prometheus with --prometheus-url URL (or BURNBOOK_PROMETHEUS_URL).';
  const timeoutMs = durationFlag('--prometheus-timeout', flags.prometheusTimeout, '10s or 1m');
  if (typeof timeoutMs === 'string') return timeoutMs;
  const headers: Record<string, string> = {};
  for (const line of (flags.prometheusHeader ?? []).flatMap((h) => h.split('\n')).filter((h) => h.trim())) {
    const match = HEADER.exec(line.trim());
    if (!match)
      return `--prometheus-header ${JSON.stringify(line)} is not "Name: value", e.g. "X-Scope-OrgID: tenant-a"`;
    headers[match[1] as string] = match[2] as string;
  }
  return {
    url: flags.prometheusUrl,
    timeoutMs,
    headers,
    ...(flags.prometheusBearerToken ? { bearerToken: flags.prometheusBearerToken } : {}),
  };
}
