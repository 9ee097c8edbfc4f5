/**
 * The documents of one run that other documents refer to by name: OpenSLO's SLI, DataSource, AlertPolicy and
 * AlertCondition objects (`indicatorRef: my-sli`), Sloth's AlertWindows catalogs. load.ts reads every file
 * first and hands the catalog to the documents whose format refers to others.
 */
export interface CatalogEntry {
  file: string;
  /** 1-based line of the document's `kind`. */
  line: number;
  document: Record<string, unknown>;
}

export class Catalog {
  constructor(private readonly entries: readonly CatalogEntry[] = []) {}

  /** Entries of this kind whose apiVersion is one of `apiVersions`. */
  all(apiVersions: readonly string[], kind: string): CatalogEntry[] {
    return this.entries.filter(
      (e) => apiVersions.includes(String(e.document.apiVersion)) && e.document.kind === kind,
    );
  }

  /** The entry of this kind named `name` (its `metadata.name`), if any. */
  find(apiVersions: readonly string[], kind: string, name: string): CatalogEntry | undefined {
    return this.all(apiVersions, kind).find(
      (e) => (e.document.metadata as { name?: unknown } | undefined)?.name === name,
    );
  }
}
