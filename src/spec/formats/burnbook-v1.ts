import type { InputFormat } from '../format.ts';
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
 * burnbook's own format (`apiVersion: burnbook/v1`, schema.ts). Also the reader of last resort: a document
 * no format claims is read as this one, so a missing or mistyped apiVersion is reported where it is, along
 * with every other problem in the document.
 */
export const burnbookV1: InputFormat = {
  name: API_VERSION,
  accepts: (document) => document.apiVersion === API_VERSION,
  read(raw, source) {
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
    const built = buildSlos(headerData, specs, source.file, source.lineOf, source.fileExists);
    problems.push(...built.problems);
    return { slos: header.success && !problems.length ? built.slos : [], problems };
  },
};
