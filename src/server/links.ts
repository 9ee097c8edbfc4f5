import { posix } from 'node:path';

/**
 * Links between pages, always relative, so the same pages work behind a proxy that serves
 * burnbook under a path prefix and as a folder of HTML files opened from disk.
 */

export interface Links {
  /** href from the current page to a site path (`/runbooks/checkout/x`); undefined when the output has no such page. */
  to(path: string): string | undefined;
}

/** href from a document at `from` to one at `to`, both absolute, as a browser resolves it. */
function relativeHref(from: string, to: string): string {
  const baseDir = from.slice(0, from.lastIndexOf('/') + 1) || '/';
  const targetDir = to.slice(0, to.lastIndexOf('/') + 1) || '/';
  const name = to.slice(to.lastIndexOf('/') + 1);
  const dir = posix.relative(baseDir, targetDir);
  return `${dir ? `${dir}/` : ''}${name}` || './';
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** Links for pages the server renders at `fromPath` (the request's path). */
export function serverLinks(fromPath: string): Links {
  return { to: (path) => relativeHref(fromPath, encodePath(path)) };
}

export type StaticFormat = 'html' | 'md';

/**
 * Where a site path lives in the static export, or undefined when the export has no such page
 * (alerts and the API need a running server). Markdown exists for runbook pages only.
 */
export function staticFile(path: string, format: StaticFormat): string | undefined {
  if (format === 'html' && path === '/') return '/index.html';
  if (format === 'html' && path === '/runbooks') return '/runbooks/index.html';
  if (path.startsWith('/runbooks/')) return `${path}.${format}`;
  if (format === 'html' && path.startsWith('/slos/')) return `${path}.html`;
  return undefined;
}

/**
 * Links for a page of the static export written to `fromFile`: runbook pages link in `format`,
 * everything else to HTML.
 */
export function staticLinks(fromFile: string, format: StaticFormat = 'html'): Links {
  return {
    to: (path) => {
      const file = staticFile(path, format) ?? staticFile(path, 'html');
      return file === undefined ? undefined : relativeHref(fromFile, encodePath(file));
    },
  };
}
