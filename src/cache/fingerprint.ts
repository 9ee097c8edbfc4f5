import { createHash } from 'node:crypto';
import type { Slo } from '../spec/model.ts';

/**
 * An SLO's fingerprint: a hex SHA-256 of its model as JSON. The model is plain data, so two SLOs with one
 * fingerprint render the same files; a rendered file is remembered by the fingerprints it was made from
 * (renders.ts). Kept beside the objects rather than in them, so the model stays what the spec says.
 */
const fingerprints = new WeakMap<Slo, string>();

export function fingerprintOf(slo: Slo): string {
  let fingerprint = fingerprints.get(slo);
  if (fingerprint === undefined) {
    fingerprint = createHash('sha256').update(JSON.stringify(slo)).digest('hex');
    fingerprints.set(slo, fingerprint);
  }
  return fingerprint;
}

/** For an SLO read back from the cache with the fingerprint computed when it was stored. */
export function knownFingerprint(slo: Slo, fingerprint: string): void {
  fingerprints.set(slo, fingerprint);
}
