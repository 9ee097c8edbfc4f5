import type { DocumentSource } from '../format.ts';
import type { IssueProblem } from '../issues.ts';
import type { Slo } from '../model.ts';
import { burnbookV1 } from './burnbook-v1.ts';

/**
 * Reading a foreign format (Sloth, Pyrra, OpenSLO) is translating it: each document becomes the burnbook/v1
 * document that says the same (what `burnbook import` writes), which burnbook/v1 then checks as it checks any
 * spec. Origins map every path of the translation back to the path in the user's document it came from, so
 * an error in a translated query points at the line and column of the user's own file.
 */

type Path = readonly PropertyKey[];

export class Origins {
  private readonly links: Array<{ to: Path; from: Path; exact: boolean }> = [];

  /**
   * `to` in the translation came from `from` in the source. `exact`: the value was copied unchanged, so paths
   * below it (a map's keys) and columns within a string map one to one.
   */
  link(to: Path, from: Path, exact = true): this {
    this.links.push({ to, from, exact });
    return this;
  }

  /** Where a path of the translation came from: the source path of its longest linked prefix. */
  map(path: Path): { path: PropertyKey[]; exact: boolean } {
    let best: { to: Path; from: Path; exact: boolean } | undefined;
    for (const link of this.links) {
      if (link.to.length > path.length || (best && link.to.length <= best.to.length)) continue;
      if (link.to.every((step, i) => step === path[i])) best = link;
    }
    if (!best) return { path: [], exact: false };
    const rest = path.slice(best.to.length);
    return best.exact
      ? { path: [...best.from, ...rest], exact: true }
      : { path: [...best.from], exact: false };
  }
}

/** One burnbook/v1 document a foreign document translates to, with what a reviewer should know about it. */
export interface Translation {
  /** The burnbook/v1 document as plain data: what `burnbook import` writes. */
  document: Record<string, unknown>;
  origins: Origins;
  /** Where the translation differs from what the source tool would do, for the imported file's comments. */
  notes: string[];
  /** The source format as people call it: `Sloth prometheus/v1`, `Pyrra`, `OpenSLO v1`. */
  origin: string;
}

/** What a foreign format's translator gives for one document: problems at the source's own paths. */
export interface TranslateResult {
  translations: Translation[];
  problems: IssueProblem[];
}

/**
 * The `read` of a foreign format: translate, then check each translation as burnbook/v1, with every problem
 * and every SLO's line mapped back to the source document.
 */
export function readTranslated(
  translate: (document: Record<string, unknown>, source: DocumentSource) => TranslateResult,
) {
  return (
    document: unknown,
    source: DocumentSource,
  ): { slos: Slo[]; problems: IssueProblem[]; translations: Translation[] } => {
    // Translations come with the problems of what could not be translated; both are reported.
    const { translations, problems } = translate(document as Record<string, unknown>, source);
    const slos: Slo[] = [];
    for (const t of translations) {
      const back = (path: Path) => t.origins.map(path);
      const read = burnbookV1.read(t.document, {
        ...source,
        lineOf: (path) => source.lineOf(back(path).path),
        literal: (path) => {
          const origin = back(path);
          return origin.exact ? source.literal(origin.path) : undefined;
        },
      });
      for (const p of read.problems) {
        const origin = back(p.key === undefined ? p.path : [...p.path, p.key]);
        const { key: _key, offset, ...rest } = p;
        problems.push({
          ...rest,
          path: origin.path,
          ...(origin.exact && offset !== undefined ? { offset } : {}),
        });
      }
      slos.push(...read.slos);
    }
    return { slos: problems.length ? [] : slos, problems, translations: problems.length ? [] : translations };
  };
}
