import type { Slo } from './model.ts';

/** SLOs by service, services in order of first appearance and SLOs in spec order: one rule file per service. */
export function byService(slos: readonly Slo[]): Map<string, Slo[]> {
  const out = new Map<string, Slo[]>();
  for (const slo of slos) {
    const own = out.get(slo.service);
    if (own) own.push(slo);
    else out.set(slo.service, [slo]);
  }
  return out;
}
