import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Slo } from '../spec/model.ts';

/**
 * Where a tier page's templates come from. For a template NAME (`tier.html`, `tier.md`,
 * `defaults.md`, or a partial), the first file that exists wins:
 *
 *   <runbooks>/templates/<service>/<slo>/NAME.mustache   one SLO
 *   <runbooks>/templates/<service>/NAME.mustache         every SLO of a service
 *   <runbooks>/templates/NAME.mustache                   every SLO
 *   burnbook's own runbooks/templates/NAME.mustache      when --runbooks points elsewhere
 *
 * So a team overrides one file for one SLO and keeps the rest.
 */

const BUNDLED_DIR = fileURLToPath(new URL('../../runbooks/templates/', import.meta.url));

function templateDirs(runbooksDir: string, slo: Slo | undefined): string[] {
  const own = join(runbooksDir, 'templates');
  const perSlo = slo ? [join(own, slo.service, slo.name), join(own, slo.service)] : [];
  const dirs = [...perSlo, own, BUNDLED_DIR].map((d) => resolve(d));
  return [...new Set(dirs)];
}

/** Reads a template by name; undefined when no directory has it (mustache renders a missing partial as empty). */
export type Templates = (name: string) => string | undefined;

/** Templates for one SLO, or (without one) for what belongs to no SLO: the last two directories only. */
export function templatesFor(runbooksDir: string, slo?: Slo): Templates {
  const dirs = templateDirs(runbooksDir, slo);
  return (name) => {
    for (const dir of dirs) {
      try {
        return readFileSync(join(dir, `${name}.mustache`), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return undefined;
  };
}

export function requireTemplate(templates: Templates, name: string): string {
  const text = templates(name);
  if (text === undefined) throw new Error(`no ${name}.mustache in any runbook template directory`);
  return text;
}
