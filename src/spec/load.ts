import { relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { promtoolReadsUtf8Names } from '../rules/promtool.ts';
import { digitKeys } from '../sli/index.ts';
import { formatPath, type SpecError } from './errors.ts';
import { readSpecFile, specFiles } from './files.ts';
import { problemsFromZod } from './issues.ts';
import { buildSlos, type ModelProblem, type Slo } from './model.ts';
import { SourcePositions } from './positions.ts';
import { DEFAULT_RUNBOOKS_DIR, runbookFileProblem, runbookRoots } from './runbook-file.ts';
import { type SloSpec, type SpecHeader, sloSchema, specHeaderSchema } from './schema.ts';
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

/**
 * Numbers an SLI kind matches by their spelling (a bucket boundary) get the YAML's own text instead of
 * the parsed float, so `0.2684354560` keeps its last zero.
 */
function keepDigits<T>(raw: T, positions: SourcePositions): T {
  const slos = (raw as { slos?: unknown } | null)?.slos;
  if (!Array.isArray(slos)) return raw;
  slos.forEach((slo, i) => {
    const sli = (slo as { sli?: unknown } | null)?.sli;
    if (typeof sli !== 'object' || sli === null) return;
    for (const [kind, spec] of Object.entries(sli)) {
      if (typeof spec !== 'object' || spec === null) continue;
      for (const key of digitKeys(kind)) {
        const value = (spec as Record<string, unknown>)[key];
        const text = positions.literal(['slos', i, 'sli', kind, key]);
        if (typeof value === 'number' && text !== undefined) {
          (sli as Record<string, unknown>)[kind] = { ...spec, [key]: text };
        }
      }
    }
  });
  return raw;
}

const FALLBACK_HEADER: SpecHeader = {
  apiVersion: 'burnbook/v1',
  service: 'unknown',
  labels: {},
  scrapeInterval: '1m',
  slos: [],
};

export interface LoadOptions {
  /** Where `runbook:` files may be besides the spec's repository; default `runbooks`. */
  runbooksDir?: string;
}

/** Parses and validates one file's text; a file may hold several YAML documents. */
export function loadSpecText(
  text: string,
  file: string,
  options: LoadOptions = {},
): { slos: Slo[]; errors: SpecError[] } {
  const roots = runbookRoots(file, options.runbooksDir ?? DEFAULT_RUNBOOKS_DIR);
  const counter = new LineCounter();
  const slos: Slo[] = [];
  const errors: SpecError[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter: counter, ...YAML_OPTIONS })) {
    if (!('errors' in doc)) continue;
    const positions = new SourcePositions(doc, counter, text);
    const problems = doc.errors.length
      ? doc.errors.map((e) => ({ offset: e.pos[0], ...yamlMessage(e.message) }))
      : checkShape(doc);
    if (problems.length) {
      for (const p of problems) {
        const { line, col } = counter.linePos(p.offset);
        const source = positions.sourceLine(line);
        errors.push({
          file,
          line,
          col,
          path: '',
          message: p.message,
          ...(p.hint ? { hint: p.hint } : {}),
          ...(source === undefined ? {} : { source }),
        });
      }
      continue;
    }
    const raw = keepDigits(doc.toJS({ maxAliasCount: -1 }), positions) as Record<string, unknown> | null;
    if (raw === null || raw === undefined) continue;
    const errorsBefore = errors.length;
    const header = specHeaderSchema.safeParse(raw);
    if (!header.success) {
      errors.push(
        ...problemsFromZod(header.error, specHeaderSchema, raw).map((p) => toError(file, positions, p)),
      );
    }
    // A bad header still gets its SLOs checked, against defaults, so one run shows every error.
    const headerData: SpecHeader = header.data ?? {
      ...FALLBACK_HEADER,
      slos: Array.isArray(raw.slos) ? raw.slos : [],
    };
    const specs: Array<[number, SloSpec]> = [];
    headerData.slos.forEach((rawSlo, i) => {
      const slo = sloSchema.safeParse(rawSlo);
      if (slo.success) specs.push([i, slo.data]);
      for (const p of slo.error ? problemsFromZod(slo.error, sloSchema, rawSlo) : []) {
        errors.push(toError(file, positions, { ...p, path: ['slos', i, ...p.path] }));
      }
    });
    const built = buildSlos(
      headerData,
      specs,
      file,
      (path) => positions.find(path).line,
      (runbook) => runbookFileProblem(runbook, roots),
      promtoolReadsUtf8Names(),
    );
    errors.push(...built.problems.map((p) => toError(file, positions, p)));
    // A file with any error contributes no SLOs: nothing is generated from half a file.
    if (header.success && errors.length === errorsBefore) slos.push(...built.slos);
  }
  return { slos, errors };
}

/**
 * Every SLO under `paths`, checked as a whole: all files are read and validated before the
 * caller acts, and (service, name) pairs must be unique across files.
 */
export function loadSpecs(paths: readonly string[], options: LoadOptions = {}): LoadResult {
  const { files, errors } = specFiles(paths);
  const slos: Slo[] = [];
  const firstSeen = new Map<string, Slo>();
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    const read = readSpecFile(file, shown);
    if ('error' in read) {
      errors.push(read.error);
      continue;
    }
    const result = loadSpecText(read.text, shown, options);
    errors.push(...result.errors);
    for (const slo of result.slos) {
      const key = `${slo.service}/${slo.name}`;
      const first = firstSeen.get(key);
      if (first && first.source.file !== slo.source.file) {
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
