/**
 * What each spec file loaded to, remembered per file, so a run reads and parses only the files that
 * changed: at 10,000 SLOs in 500 files, parsing and checking every file is seconds, reading the models back
 * a tenth of that. An entry is keyed by everything the load of one file reads besides the filesystem: the
 * file's bytes, the code (codeIdentity), and what the loader names as its context (the name the file is
 * shown under, which SLOs point back at; the runbooks directory; whether promtool reads UTF-8 names). What
 * it reads from the filesystem, whether each `runbook:` file is still acceptable, the loader checks again
 * on every hit (spec/load.ts).
 *
 * Only files that loaded without an error, and without documents that refer to other files (OpenSLO's
 * `indicatorRef`, Sloth's window catalogs: their meaning depends on the other files), are kept.
 */
import { createHash } from 'node:crypto';
import type { Slo } from '../spec/model.ts';
import { codeIdentity } from './dir.ts';
import type { CacheEntries } from './entries.ts';
import { fingerprintOf, knownFingerprint } from './fingerprint.ts';

export interface SpecCache {
  /** The SLOs a file with this text loaded to before in this context, with their fingerprints; else undefined. */
  get(context: string, text: string): Slo[] | undefined;
  /** Remembers what a file with this text loaded to in this context. */
  put(context: string, text: string, slos: readonly Slo[]): void;
}

interface Entry {
  slos: Slo[];
  fingerprints: string[];
}

/** Spec files' models kept in `entries`. */
export function specCache(entries: CacheEntries): SpecCache {
  const name = (context: string, text: string) =>
    `spec-${createHash('sha256')
      .update(`${codeIdentity()}\n${JSON.stringify(context)}\n`)
      .update(text)
      .digest('hex')}`;
  return {
    get(context, text) {
      const raw = entries.read(name(context, text));
      if (raw === undefined) return undefined;
      let entry: Entry;
      try {
        entry = JSON.parse(raw) as Entry;
      } catch {
        return undefined;
      }
      if (!Array.isArray(entry.slos) || entry.fingerprints?.length !== entry.slos.length) return undefined;
      for (const [i, slo] of entry.slos.entries()) knownFingerprint(slo, entry.fingerprints[i] as string);
      return entry.slos;
    },
    put(context, text, slos) {
      const entry: Entry = { slos: [...slos], fingerprints: slos.map(fingerprintOf) };
      entries.write(name(context, text), JSON.stringify(entry));
    },
  };
}
