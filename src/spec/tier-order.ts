import type { SpecError } from './errors.ts';
import { alertingTiers, type Slo } from './model.ts';

/**
 * Tier names in opposite orders across SLOs: errors at the later SLO's name.
 *
 * The Alertmanager snippet's inhibit rules are shared, one per tier name (outputs/alertmanager/snippet.ts):
 * a tier holds back the slower tiers (longer long window) of any SLO. If `a` is faster than `b` in one SLO
 * and slower in another, both rules exist, and in either SLO a firing `a` and a firing `b` hold each other back:
 * Alertmanager sends neither, so the burn pages nobody. Silent tiers hold nothing back and are left out,
 * as the snippet leaves them out.
 */
export function tierOrderProblems(slos: readonly Slo[]): SpecError[] {
  const before = new Map<string, Slo>();
  const problems: SpecError[] = [];
  for (const slo of slos) {
    const names = alertingTiers(slo).map((t) => t.name);
    const conflicts = names.flatMap((first, i) =>
      names.slice(i + 1).flatMap((second) => {
        const other = before.get(`${second}\u0000${first}`);
        return other ? [{ first, second, other }] : [];
      }),
    );
    const [conflict] = conflicts;
    if (conflict) {
      const { first, second, other } = conflict;
      problems.push({
        file: slo.source.file,
        line: slo.source.line,
        col: 1,
        path: '',
        message: `SLO ${slo.service}/${slo.name} has tier "${first}" faster than "${second}" (a shorter long window), but ${other.service}/${other.name} (${other.source.file}:${other.source.line}) has them the other way round: the Alertmanager snippet's inhibit rules are shared by tier name, so a firing "${first}" and "${second}" would hold each other back and neither would page`,
        hint: 'give tiers of the same name the same order of long windows in every SLO, or give one of them another name',
      });
      continue;
    }
    names.forEach((first, i) => {
      for (const second of names.slice(i + 1)) {
        const key = `${first}\u0000${second}`;
        if (!before.has(key)) before.set(key, slo);
      }
    });
  }
  return problems;
}
