import { relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { promtoolReadsUtf8Names } from '../promtool/promtool.ts';
import { formatPath, type SpecError } from './errors.ts';
import { readSpecFile, specFiles } from './files.ts';
import { formatOf } from './formats/index.ts';
import type { ModelProblem, Slo } from './model.ts';
import { SourcePositions } from './positions.ts';
import { DEFAULT_RUNBOOKS_DIR, runbookFileProblem, runbookRoots } from './runbook-file.ts';
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
}

/**
 * Parses and validates one file's text; a file may hold several YAML documents, each read by the input
 * format its version key names (formats/).
 */
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
    const raw: unknown = doc.toJS({ maxAliasCount: -1 });
    if (raw === null || raw === undefined) continue;
    const read = formatOf(raw).read(raw, {
      file,
      lineOf: (path) => positions.find(path).line,
      literal: (path) => positions.literal(path),
      runbookProblem: (runbook) => runbookFileProblem(runbook, roots),
      utf8Names: promtoolReadsUtf8Names(),
    });
    errors.push(...read.problems.map((p) => toError(file, positions, p)));
    // A document with any error contributes no SLOs: nothing is generated from half a spec.
    if (!read.problems.length) slos.push(...read.slos);
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
