import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { formatPath, type SpecError } from './errors.ts';
import { problemsFromZod } from './issues.ts';
import { buildSlos, type ModelProblem, type Slo } from './model.ts';
import { SourcePositions } from './positions.ts';
import { DEFAULT_RUNBOOKS_DIR, runbookFileProblem, runbookRoots } from './runbook-file.ts';
import { type SloSpec, type SpecHeader, sloSchema, specHeaderSchema } from './schema.ts';

export interface LoadResult {
  slos: Slo[];
  errors: SpecError[];
  files: string[];
}

/** Spec files under the given paths: files as given, directories searched for *.yaml / *.yml. */
export function specFiles(paths: readonly string[]): { files: string[]; errors: SpecError[] } {
  const files: string[] = [];
  const errors: SpecError[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name)) files.push(full);
    }
  };
  for (const p of paths) {
    try {
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    } catch {
      errors.push({ file: p, line: 1, col: 1, path: '', message: 'no such file or directory' });
    }
  }
  return { files, errors };
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
  for (const doc of parseAllDocuments(text, { lineCounter: counter, uniqueKeys: true })) {
    if (!('errors' in doc)) continue;
    const positions = new SourcePositions(doc, counter, text);
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const { line, col } = counter.linePos(e.pos[0]);
        errors.push({ file, line, col, path: '', message: e.message.split('\n')[0] ?? e.message });
      }
      continue;
    }
    const raw = doc.toJS();
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
    const result = loadSpecText(readFileSync(file, 'utf8'), shown, options);
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
