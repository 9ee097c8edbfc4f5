import { z } from 'zod';
import type { InputFormat } from '../format.ts';
import { parseWith } from './foreign.ts';
import { CAMEL_KEYS, readSloth, SLOTH_API_VERSION } from './sloth.ts';
import { readTranslated } from './translate.ts';

const envelope = z
  .object({
    apiVersion: z.literal(SLOTH_API_VERSION),
    kind: z.literal('PrometheusServiceLevel'),
    metadata: z.object({ name: z.string().optional(), namespace: z.string().optional() }).loose().optional(),
    spec: z.unknown(),
    status: z.unknown().optional(),
  })
  .strict();

/** Sloth's Kubernetes resource, `PrometheusServiceLevel` of `sloth.slok.dev/v1`: the same spec in camelCase under `spec`. */
export const slothKubernetes: InputFormat = {
  name: 'Sloth PrometheusServiceLevel',
  accepts: (document) =>
    document.apiVersion === SLOTH_API_VERSION && document.kind === 'PrometheusServiceLevel',
  usesCatalog: true,
  read: readTranslated((document, source) => {
    const checked = parseWith(envelope, document);
    if (checked.problems) return { translations: [], problems: checked.problems };
    return readSloth(
      document,
      ['spec'],
      CAMEL_KEYS,
      source.catalog,
      'Sloth PrometheusServiceLevel (sloth.slok.dev/v1)',
    );
  }),
};
