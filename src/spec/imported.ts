import { Document, isCollection, isSeq } from 'yaml';
import type { Translation } from './formats/translate.ts';

/**
 * The burnbook/v1 file `burnbook import` writes for one source file: a comment naming the source and what
 * differs from the source tool, then each translated document. Not marked as generated: it is the user's
 * spec from now on, to review and edit.
 */
export function importedFile(source: string, translations: readonly Translation[]): string {
  const origins = [...new Set(translations.map((t) => t.origin))].join(', ');
  const notes = [...new Set(translations.flatMap((t) => t.notes))];
  const header = [
    `# Imported by burnbook from ${source} (${origins}).`,
    '# Review it, then keep it instead of the source: `burnbook validate` checks it, `burnbook generate` writes its rules.',
    ...(notes.length ? ['#', '# What differs from the source tool:', ...notes.map((n) => `#   - ${n}`)] : []),
  ];
  const body = translations.map((t) => yaml(t.document)).join('---\n');
  return `${header.join('\n')}\n${body}`;
}

/** YAML as people write specs: tiers one per line as flow maps, short lists (groupBy) inline. */
function yaml(document: Record<string, unknown>): string {
  const doc = new Document(document);
  const slos = doc.get('slos');
  if (isSeq(slos)) {
    slos.items.forEach((_, i) => {
      const tiers = doc.getIn(['slos', i, 'alerting', 'tiers'], true);
      if (isSeq(tiers)) for (const tier of tiers.items) if (isCollection(tier)) tier.flow = true;
      const groupBy = doc.getIn(['slos', i, 'groupBy'], true);
      if (isSeq(groupBy)) groupBy.flow = true;
    });
  }
  return doc.toString({ lineWidth: 0 });
}
