import { alertTitle } from '../conventions/names.ts';
import { markdownPagePath, tierPath } from '../conventions/urls.ts';
import type { Tier } from '../policy/tiers.ts';
import type { AbsentAlert, Slo } from '../spec/model.ts';
import { markdownTitle } from './sections.ts';

/**
 * Every runbook page: one per alert of every SLO (each tier's, and the absent-SLI alert's), and one per
 * markdown file under the runbooks directory (for alerts that are not SLO burns), except the SLOs' own
 * runbook files, whose sections already appear on their tier pages, and the templates.
 */

export type RunbookPage =
  | { kind: 'tier'; path: string; title: string; slo: Slo; tier: Tier }
  | { kind: 'absent'; path: string; title: string; slo: Slo; absent: AbsentAlert }
  | { kind: 'markdown'; path: string; title: string; file: string; markdown: string };

export interface MarkdownFile {
  /** Relative to the runbooks directory, with `/` separators. */
  file: string;
  text: string;
}

export interface Catalogue {
  pages: RunbookPage[];
  /** Things a runbook author should fix, shown on the runbook list. */
  problems: string[];
}

export function catalogue(slos: readonly Slo[], files: readonly MarkdownFile[]): Catalogue {
  const problems: string[] = [];
  const pages: RunbookPage[] = slos.flatMap((slo) => [
    ...slo.alerting.tiers.map(
      (tier): RunbookPage => ({
        kind: 'tier',
        path: tierPath(slo, tier),
        title: alertTitle(slo, tier),
        slo,
        tier,
      }),
    ),
    ...(slo.alerting.absent
      ? [
          {
            kind: 'absent' as const,
            path: tierPath(slo, slo.alerting.absent),
            title: alertTitle(slo, slo.alerting.absent),
            slo,
            absent: slo.alerting.absent,
          },
        ]
      : []),
  ]);
  const generated = new Set(pages.map((p) => p.path));
  for (const { file, text } of files) {
    const path = markdownPagePath(file);
    if (generated.has(path)) {
      problems.push(`${file} is not shown: ${path} is the generated page of an alert. Rename the file.`);
      continue;
    }
    pages.push({
      kind: 'markdown',
      path,
      title: markdownTitle(text, file.replace(/\.md$/i, '')),
      file,
      markdown: text,
    });
  }
  pages.sort((a, b) => a.path.localeCompare(b.path));
  return { pages, problems };
}
