import { relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { SpecCache } from '../cache/specs.ts';
import { promtoolReadsUtf8Names } from '../promtool/promtool.ts';
import { Catalog } from './catalog.ts';
import { formatPath, type SpecError } from './errors.ts';
import { readSpecFile, specFiles } from './files.ts';
import type { InputFormat } from './format.ts';
import { formatOf } from './formats/index.ts';
import type { Translation } from './formats/translate.ts';
import type { ModelProblem, Slo } from './model.ts';
import { SourcePositions } from './positions.ts';
import { DEFAULT_RUNBOOKS_DIR, runbookFileProblem, runbookRoots } from './runbook-file.ts';
import { tierOrderProblems } from './tier-order.ts';
import { checkShape, YAML_OPTIONS } from './yaml-limits.ts';

export interface LoadResult {
  slos: Slo[];
  errors: SpecError[];
  files: string[];
}

function toError(file: string, positions: SourcePositions, p: ModelProblem & { key?: string }): SpecError {
  const opts = {
    ...(p.key === undefined ? {} : { key: p.key }),
    ...(p.offset === undefined ? {} : { offset: p.offset }),
  };
  const { line, col } = positions.find(p.path, opts);
  const source = positions.sourceLine(line);
  return {
    file,
    line,
    col,
    path: formatPath(p.key === undefined ? p.path : [...p.path, p.key]),
    message: p.message,
    ...(p.hint ? { hint: p.hint } : {}),
    ...(source === undefined ? {} : { source }),
  };
}

/** The parser's first line, or plain words for what it says in JavaScript's. */
function yamlMessage(message: string): { message: string; hint?: string } {
  if (message.includes('Maximum call stack')) {
    return {
      message: 'the document nests too deeply to read',
      hint: 'a burnbook spec needs a handful of levels; this looks generated or corrupt',
    };
  }
  return { message: (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '') };
}

export interface LoadOptions {
  /** Where `runbook:` files may be besides the spec's repository; default `runbooks`. */
  runbooksDir?: string;
  /** What files loaded to in earlier runs: a file whose text is unchanged is not parsed again. */
  cache?: SpecCache;
  /** Called before each file is read, for a progress line. */
  onFile?: (index: number, total: number) => void;
}

/** One YAML document of a run as its format read it. */
export interface DocumentRead {
  file: string;
  /** The format that read it; undefined when the YAML itself could not be read. */
  format?: InputFormat;
  slos: Slo[];
  errors: SpecError[];
  /** The burnbook/v1 documents a foreign document translates to (`burnbook import` writes them). */
  translations: Translation[];
}

interface Parsed {
  file: string;
  raw: unknown;
  positions: SourcePositions;
  format: InputFormat;
  /** Where the object sits in its YAML document: `[2]` for the third of a list of objects (as oslo and kubectl write them). */
  prefix: PropertyKey[];
  /** Where the spec's `runbook:` files may be. */
  roots: ReturnType<typeof runbookRoots>;
}

/** A YAML document that is a list of objects each with an apiVersion: each is read as a document of its own. */
function objectsOf(raw: unknown): Array<[PropertyKey[], unknown]> {
  const isObject = (x: unknown) => typeof x === 'object' && x !== null && 'apiVersion' in x;
  if (Array.isArray(raw) && raw.length && raw.every(isObject)) return raw.map((item, i) => [[i], item]);
  return [[[], raw]];
}

/**
 * Reads documents in the order given. A document whose format refers to others (OpenSLO's `indicatorRef`,
 * Sloth's window catalogs) waits until every file is parsed, so what it refers to may be in any file.
 */
export class DocumentReader {
  private readonly documents: DocumentRead[] = [];
  private readonly deferred: Array<{ parsed: Parsed; read: DocumentRead }> = [];

  constructor(private readonly options: LoadOptions = {}) {}

  /** A file's SLOs as an earlier run loaded them (cache/specs.ts), in their place among the documents. */
  addLoaded(file: string, slos: Slo[]): void {
    this.documents.push({ file, slos, errors: [], translations: [] });
  }

  /**
   * Parses one file's text; each YAML document goes to the input format its version key names. Returns the
   * file's documents once they are read, or undefined when some wait for the catalog of all files (finish).
   */
  addText(text: string, file: string): DocumentRead[] | undefined {
    const first = this.documents.length;
    const deferred = this.deferred.length;
    const roots = runbookRoots(file, this.options.runbooksDir ?? DEFAULT_RUNBOOKS_DIR);
    const counter = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter: counter, ...YAML_OPTIONS })) {
      if (!('errors' in doc)) continue;
      const positions = new SourcePositions(doc, counter, text);
      const problems = doc.errors.length
        ? doc.errors.map((e) => ({ offset: e.pos[0], ...yamlMessage(e.message) }))
        : checkShape(doc);
      if (problems.length) {
        const errors = problems.map((p): SpecError => {
          const { line, col } = counter.linePos(p.offset);
          const source = positions.sourceLine(line);
          return {
            file,
            line,
            col,
            path: '',
            message: p.message,
            ...(p.hint ? { hint: p.hint } : {}),
            ...(source === undefined ? {} : { source }),
          };
        });
        this.documents.push({ file, slos: [], errors, translations: [] });
        continue;
      }
      const whole: unknown = doc.toJS({ maxAliasCount: -1 });
      if (whole === null || whole === undefined) continue;
      for (const [prefix, raw] of objectsOf(whole)) {
        const parsed: Parsed = { file, raw, positions, format: formatOf(raw), prefix, roots };
        if (parsed.format.usesCatalog) {
          const read: DocumentRead = { file, format: parsed.format, slos: [], errors: [], translations: [] };
          this.documents.push(read);
          this.deferred.push({ parsed, read });
        } else this.documents.push(readDocument(parsed, NO_CATALOG));
      }
    }
    return this.deferred.length === deferred ? this.documents.slice(first) : undefined;
  }

  /** Every document, read; the deferred ones with the catalog of all of them. */
  finish(): DocumentRead[] {
    const catalog = new Catalog(
      this.deferred.map(({ parsed }) => ({
        file: parsed.file,
        line: parsed.positions.find([...parsed.prefix, 'kind']).line,
        document: parsed.raw as Record<string, unknown>,
      })),
    );
    for (const { parsed, read } of this.deferred) Object.assign(read, readDocument(parsed, catalog));
    return this.documents;
  }
}

const NO_CATALOG = new Catalog();

function readDocument(
  { file, raw, positions, format, prefix, roots }: Parsed,
  catalog: Catalog,
): DocumentRead {
  const read = format.read(raw, {
    file,
    lineOf: (path) => positions.find([...prefix, ...path]).line,
    literal: (path) => positions.literal([...prefix, ...path]),
    runbookProblem: (runbook) => runbookFileProblem(runbook, roots),
    utf8Names: promtoolReadsUtf8Names(),
    catalog,
  });
  // A document with any error contributes no SLOs: nothing is generated from half a spec.
  return {
    file,
    format,
    slos: read.problems.length ? [] : read.slos,
    errors: read.problems.map((p) => toError(file, positions, { ...p, path: [...prefix, ...p.path] })),
    translations: read.problems.length ? [] : (read.translations ?? []),
  };
}

/** Parses and validates one file's text; a file may hold several YAML documents, of any input format. */
export function loadSpecText(
  text: string,
  file: string,
  options: LoadOptions = {},
): { slos: Slo[]; errors: SpecError[] } {
  const reader = new DocumentReader(options);
  reader.addText(text, file);
  const documents = reader.finish();
  return { slos: documents.flatMap((d) => d.slos), errors: documents.flatMap((d) => d.errors) };
}

/** Every document under `paths`, read (see loadSpecs), with the files found and the errors of finding them. */
export function readDocuments(
  paths: readonly string[],
  options: LoadOptions = {},
): { documents: DocumentRead[]; files: string[]; errors: SpecError[] } {
  const { files, errors } = specFiles(paths);
  const reader = new DocumentReader(options);
  const runbooksDir = options.runbooksDir ?? DEFAULT_RUNBOOKS_DIR;
  for (const [index, file] of files.entries()) {
    options.onFile?.(index, files.length);
    const shown = relative(process.cwd(), file) || file;
    const read = readSpecFile(file, shown);
    if ('error' in read) {
      errors.push(read.error);
      continue;
    }
    const context = options.cache && [shown, runbooksDir, promtoolReadsUtf8Names()].join('\n');
    const known = context === undefined ? undefined : options.cache?.get(context, read.text);
    if (known && runbooksStillAcceptable(known, shown, runbooksDir)) {
      reader.addLoaded(shown, known);
      continue;
    }
    const documents = reader.addText(read.text, shown);
    if (context !== undefined && documents?.every((d) => !d.errors.length)) {
      options.cache?.put(
        context,
        read.text,
        documents.flatMap((d) => d.slos),
      );
    }
  }
  return { documents: reader.finish(), files, errors };
}

/**
 * Whether every `runbook:` file of SLOs loaded earlier is still one the loader accepts: the one thing a
 * spec file's load reads from the filesystem besides the file, so a runbook deleted or moved since is
 * reported as a fresh load would.
 */
function runbooksStillAcceptable(slos: readonly Slo[], file: string, runbooksDir: string): boolean {
  let roots: ReturnType<typeof runbookRoots> | undefined;
  return slos.every((slo) => {
    if (slo.runbook === undefined) return true;
    roots ??= runbookRoots(file, runbooksDir);
    return runbookFileProblem(slo.runbook, roots) === undefined;
  });
}

/**
 * Every SLO under `paths`, checked as a whole: all files are read and validated before the
 * caller acts, and (service, name) pairs must be unique across files.
 */
export function loadSpecs(paths: readonly string[], options: LoadOptions = {}): LoadResult {
  const { documents, files, errors } = readDocuments(paths, options);
  const slos: Slo[] = [];
  const firstSeen = new Map<string, Slo>();
  for (const result of documents) {
    const shown = result.file;
    errors.push(...result.errors);
    for (const slo of result.slos) {
      const key = `${slo.service}/${slo.name}`;
      const first = firstSeen.get(key);
      if (first) {
        errors.push({
          file: shown,
          line: slo.source.line,
          col: 1,
          path: '',
          message: `SLO ${key} is also defined at ${first.source.file}:${first.source.line}`,
          hint: 'each (service, SLO name) pair must be unique across all spec files',
        });
        continue;
      }
      firstSeen.set(key, slo);
      slos.push(slo);
    }
  }
  errors.push(...tierOrderProblems(slos));
  if (!files.length && !errors.length) {
    errors.push({
      file: paths.join(', '),
      line: 1,
      col: 1,
      path: '',
      message: 'no *.yaml or *.yml spec files found',
    });
  }
  return { slos, errors, files };
}
