import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { RE2JS } from 're2js';

/**
 * Validators for the Kubernetes objects burnbook writes or ships: custom resources against the OpenAPI schema
 * of prometheus-operator's CRDs (test/fixtures/schemas/, see the README there), core objects with
 * kubernetes-models, which validates against Kubernetes' own OpenAPI schemas.
 */

type Schema = Record<string, unknown>;

/**
 * As `kubectl apply --validate=strict` does, an unknown field is an error: every object schema that lists
 * its properties gets `additionalProperties: false` (the API server would otherwise drop the field silently).
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema))
    out[key] = key === 'properties' ? strictProperties(value) : strict(value);
  if (
    'properties' in out &&
    !('additionalProperties' in out) &&
    !('x-kubernetes-preserve-unknown-fields' in out)
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function strictProperties(properties: unknown): unknown {
  return Object.fromEntries(Object.entries(properties as Schema).map(([k, v]) => [k, strict(v)]));
}

// The schemas' patterns are Go (RE2) regular expressions, `(?i)` included: matched as Go matches them.
const re2 = Object.assign(
  (pattern: string) => {
    const re = RE2JS.compile(pattern);
    return { test: (s: string) => re.matcher(s).find() };
  },
  { code: 're2' },
);
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true, code: { regExp: re2 } });

/** A validator for a vendored CRD schema, `test/fixtures/schemas/<Kind>-<version>.json`. */
export function crdValidator(file: string): (object: unknown) => string[] {
  const schema = JSON.parse(readFileSync(`test/fixtures/schemas/${file}`, 'utf8')) as Schema;
  const { $comment: _, ...rest } = schema;
  const validate: ValidateFunction = ajv.compile(strict(rest) as Schema);
  return (object) =>
    validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** A core object (ConfigMap, Deployment, Service, PersistentVolumeClaim) checked with kubernetes-models. */
export async function coreProblems(object: { apiVersion: string; kind: string }): Promise<string[]> {
  const group = object.apiVersion.includes('/') ? object.apiVersion : `v1`;
  const module = await import(`kubernetes-models/${group}/${object.kind}`);
  const Model = module[object.kind] ?? module.default;
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
