import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { formatPath, type SpecError } from './errors.ts';
import { formatOf } from './formats/index.ts';
import type { ModelProblem, Slo } from './model.ts';
import { SourcePositions } from './positions.ts';

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

/**
 * Parses and validates one file's text; a file may hold several YAML documents, each read by the input
 * format its version key names (formats/).
 */
export function loadSpecText(text: string, file: string): { slos: Slo[]; errors: SpecError[] } {
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
    const raw: unknown = doc.toJS();
    if (raw === null || raw === undefined) continue;
    const read = formatOf(raw).read(raw, {
      file,
      lineOf: (path) => positions.find(path).line,
      fileExists: existsSync,
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
export function loadSpecs(paths: readonly string[]): LoadResult {
  const { files, errors } = specFiles(paths);
  const slos: Slo[] = [];
  const firstSeen = new Map<string, Slo>();
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    const result = loadSpecText(readFileSync(file, 'utf8'), shown);
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
