import type { InputFormat } from '../format.ts';
import { burnbookV1 } from './burnbook-v1.ts';
import { openSloV1 } from './openslo-v1.ts';
import { openSloV1alpha } from './openslo-v1alpha.ts';
import { pyrra } from './pyrra.ts';
import { slothAlertWindows } from './sloth-alert-windows.ts';
import { slothKubernetes } from './sloth-kubernetes.ts';
import { slothPrometheusV1 } from './sloth-prometheus-v1.ts';

/** Every input format burnbook reads; a new format is one file here and one line in this list. */
export const INPUT_FORMATS: readonly InputFormat[] = [
  burnbookV1,
  slothPrometheusV1,
  slothKubernetes,
  slothAlertWindows,
  pyrra,
  openSloV1,
  openSloV1alpha,
];

/** The format of a document, by its version key; burnbook/v1 for anything no format claims, so it says why. */
export function formatOf(document: unknown): InputFormat {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return burnbookV1;
  return INPUT_FORMATS.find((f) => f.accepts(document as Record<string, unknown>)) ?? burnbookV1;
}
