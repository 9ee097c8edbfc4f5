import { sloPath } from '../conventions/urls.ts';
import { staticFile, staticLinks } from './links.ts';
import {
  indexDocument,
  loadSite,
  runbookDocument,
  runbookListDocument,
  type SiteOptions,
  sloDocument,
} from './site.ts';

/**
 * The pages as a folder of files (`index.html`, `runbooks/<service>/<alert>.html` and `.md`,
 * `slos/<service>/<slo>.html`), linked relatively so it works from disk, a wiki or a repo.
 * Returns paths relative to the output directory and their contents; the caller writes them.
 */
export async function exportSite(options: SiteOptions): Promise<Map<string, string>> {
  const site = loadSite(options, 'static');
  const files = new Map<string, string>();
  const add = (file: string | undefined, render: (file: string) => string) => {
    if (file === undefined) throw new Error('the static export has no file for a page it exports');
    files.set(file.slice(1), render(file));
  };
  add(staticFile('/', 'html'), (f) => indexDocument(site, staticLinks(f)));
  add(staticFile('/runbooks', 'html'), (f) => runbookListDocument(site, staticLinks(f), ''));
  for (const slo of site.slos)
    add(staticFile(sloPath(slo), 'html'), (f) => sloDocument(site, slo, staticLinks(f)));
  for (const page of site.catalogue.pages) {
    for (const format of ['html', 'md'] as const) {
      const file = staticFile(page.path, format);
      if (file === undefined) continue;
      files.set(file.slice(1), await runbookDocument(site, page, staticLinks(file, format), format));
    }
  }
  return files;
}
