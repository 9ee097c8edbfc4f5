import { digitKeys } from '../../sli/index.ts';
import type { DocumentSource, InputFormat } from '../format.ts';
import { type IssueProblem, problemsFromZod } from '../issues.ts';
import { buildSlos } from '../model.ts';
import { type SloSpec, type SpecHeader, sloSchema, specHeaderSchema } from '../schema.ts';

const API_VERSION = 'burnbook/v1';

const FALLBACK_HEADER: SpecHeader = {
  apiVersion: API_VERSION,
  service: 'unknown',
  labels: {},
  scrapeInterval: '1m',
  slos: [],
};

/**
 * Numbers an SLI kind matches by their spelling (a bucket boundary) get the YAML's own text instead of
 * the parsed float, so `0.2684354560` keeps its last zero.
 */
function keepDigits<T>(raw: T, source: DocumentSource): T {
  const slos = (raw as { slos?: unknown } | null)?.slos;
  if (!Array.isArray(slos)) return raw;
  slos.forEach((slo, i) => {
    const sli = (slo as { sli?: unknown } | null)?.sli;
    if (typeof sli !== 'object' || sli === null) return;
    for (const [kind, spec] of Object.entries(sli)) {
      if (typeof spec !== 'object' || spec === null) continue;
      for (const key of digitKeys(kind)) {
        const value = (spec as Record<string, unknown>)[key];
        const text = source.literal(['slos', i, 'sli', kind, key]);
        if (typeof value === 'number' && text !== undefined) {
          (sli as Record<string, unknown>)[kind] = { ...spec, [key]: text };
        }
      }
    }
  });
  return raw;
}

/**
 * burnbook's own format (`apiVersion: burnbook/v1`, schema.ts). Also the reader of last resort: a document
 * no format claims is read as this one, so a missing or mistyped apiVersion is reported where it is, along
 * with every other problem in the document.
 */
export const burnbookV1: InputFormat = {
  name: API_VERSION,
  accepts: (document) => document.apiVersion === API_VERSION,
  read(document, source) {
    const raw = keepDigits(document, source);
    const problems: IssueProblem[] = [];
    const header = specHeaderSchema.safeParse(raw);
    if (!header.success) problems.push(...problemsFromZod(header.error, specHeaderSchema, raw));
    // A bad header still gets its SLOs checked, against defaults, so one run shows every error.
    const rawSlos = (raw as { slos?: unknown } | null | undefined)?.slos;
    const headerData: SpecHeader = header.data ?? {
      ...FALLBACK_HEADER,
      slos: Array.isArray(rawSlos) ? rawSlos : [],
    };
    const specs: Array<[number, SloSpec]> = [];
    headerData.slos.forEach((rawSlo, i) => {
      const slo = sloSchema.safeParse(rawSlo);
      if (slo.success) specs.push([i, slo.data]);
      for (const p of slo.error ? problemsFromZod(slo.error, sloSchema, rawSlo) : []) {
        problems.push({ ...p, path: ['slos', i, ...p.path] });
      }
    });
    const built = buildSlos(
      headerData,
      specs,
      source.file,
      source.lineOf,
      source.runbookProblem,
      source.utf8Names,
    );
    problems.push(...built.problems);
    return { slos: header.success && !problems.length ? built.slos : [], problems };
  },
};
