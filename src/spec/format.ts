import type { Catalog } from './catalog.ts';
import type { Translation } from './formats/translate.ts';
import type { IssueProblem } from './issues.ts';
import type { Slo } from './model.ts';

/** What a format's loader may ask about the document it reads and where it runs. */
export interface DocumentSource {
  /** The file as the user named it, for `Slo.source` and errors. */
  file: string;
  /** The 1-based line of a path in the document. */
  lineOf(path: PropertyKey[]): number;
  /** The YAML text of the scalar at a path, for numbers whose spelling matters (a bucket boundary). */
  literal(path: PropertyKey[]): string | undefined;
  /** Why a `runbook:` path cannot be used (see runbook-file.ts), or undefined. */
  runbookProblem(path: string): { message: string; hint: string } | undefined;
  /** Whether label names outside the legacy charset may be used: the promtool checked against reads them. */
  utf8Names: boolean;
  /** The run's documents other documents refer to by name (OpenSLO's SLIs, Sloth's window catalogs). */
  catalog: Catalog;
}

/**
 * One input format: a kind of YAML document burnbook reads SLOs from. load.ts picks the format of each
 * document by its version key (`apiVersion: burnbook/v1`) and asks it for the model; every format gives
 * the same validated `Slo`s. Problems carry paths in the user's own document, which load.ts turns into
 * file:line:col, so errors point at what the user wrote, whatever the format.
 */
export interface InputFormat {
  /** The version it reads, as users write it: `burnbook/v1`. */
  readonly name: string;
  /** Whether a document is in this format, judged by its version keys alone (`apiVersion`, `version`, `kind`). */
  accepts(document: Record<string, unknown>): boolean;
  /**
   * Whether its documents refer to others (`source.catalog`): load.ts then reads them after every file is
   * parsed, and keeps their documents in the catalog.
   */
  readonly usesCatalog?: boolean;
  /**
   * The document's SLOs, or every problem found; a document with any problem yields no SLOs. A foreign format
   * also gives the burnbook/v1 documents it translated the document to, which `burnbook import` writes.
   */
  read(
    document: unknown,
    source: DocumentSource,
  ): { slos: Slo[]; problems: IssueProblem[]; translations?: Translation[] };
}
