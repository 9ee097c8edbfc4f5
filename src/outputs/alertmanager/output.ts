import { basename, dirname } from 'node:path';
import type { SiteUrls } from '../../conventions/urls.ts';
import { yamlFile } from '../generated.ts';
import { type Output, outputFile } from '../output.ts';
import { alertmanagerSnippet } from './snippet.ts';

/**
 * `--alertmanager FILE`: the snippet to merge into alertmanager.yml. One file, usually next to files burnbook
 * did not write, so the output owns no directory and removes nothing.
 */
export function alertmanagerOutput({ file, urls }: { file: string; urls: SiteUrls }): Output {
  return {
    name: 'Alertmanager snippet',
    dir: dirname(file),
    prune: false,
    *files(slos) {
      yield outputFile(basename(file), slos, () =>
        yamlFile(
          'for Alertmanager: merge route, receivers and inhibit_rules into your alertmanager.yml',
          alertmanagerSnippet(slos, urls),
        ),
      );
    },
  };
}
