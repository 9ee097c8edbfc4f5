import type { InputFormat } from '../format.ts';
import { readSloth, SNAKE_KEYS } from './sloth.ts';
import { readTranslated } from './translate.ts';

/** Sloth's own file format, `version: prometheus/v1` (sloth/pkg/prometheus/api/v1). */
export const slothPrometheusV1: InputFormat = {
  name: 'Sloth prometheus/v1',
  accepts: (document) => document.version === 'prometheus/v1',
  usesCatalog: true,
  read: readTranslated((document, source) => {
    const { version: _version, ...spec } = document;
    return readSloth(spec, [], SNAKE_KEYS, source.catalog, 'Sloth prometheus/v1');
  }),
};
