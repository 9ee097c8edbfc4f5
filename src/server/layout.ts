import { createHash } from 'node:crypto';
import type { Links } from './links.ts';
import { renderView, viewAsset } from './views.ts';

/**
 * The page shell every HTML page shares: head with inline styles, navigation, a print
 * stylesheet, and nothing fetched from elsewhere. Pages pass their body as HTML they
 * rendered through mustache (which escapes); everything else given here is escaped.
 */

export type NavItem = 'slos' | 'runbooks' | 'alerts' | 'incidents';

export interface Crumb {
  label: string;
  /** Site path; the last crumb (the page itself) has none. */
  path?: string;
}

export interface PageOptions {
  title: string;
  /** HTML rendered by burnbook (mustache views, markdown-it); never text from outside. */
  body: string;
  links: Links;
  nav?: NavItem;
  crumbs?: Crumb[];
  /** Inline scripts the page needs beyond the shared one; each is allowed by its hash. */
  scripts?: string[];
  /** Script files from burnbook's own `/assets/`, loaded before the inline scripts. */
  scriptFiles?: ScriptFile[];
  /** Stylesheets the page needs beyond the shared one, inlined like it. */
  styles?: string[];
}

export interface ScriptFile {
  href: string;
  /** Subresource Integrity (`sha384-…`): the browser runs the file only if it is exactly this. */
  integrity: string;
}

const STYLE = viewAsset('style.css');
/** How often a live page reloads itself while its auto-refresh toggle is on (Pyrra reloads every 10-30 s). */
const REFRESH_SECONDS = 30;
const SCRIPT = viewAsset('page.js');

const NAV: Array<{ item: NavItem; label: string; path: string }> = [
  { item: 'slos', label: 'SLOs', path: '/' },
  { item: 'runbooks', label: 'Runbooks', path: '/runbooks' },
  { item: 'alerts', label: 'Alerts', path: '/alerts' },
  { item: 'incidents', label: 'Incidents', path: '/incidents' },
];

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/**
 * Only burnbook's own scripts run (by hash), so markup that slipped past escaping still
 * cannot execute; in a meta tag so the static export carries it too. A page that loads a
 * script file (the SLO page's chart library, too big to inline on every view) also allows
 * 'self' — same-origin files only. That keeps the guarantee: burnbook serves no JavaScript but
 * its own assets (pages are HTML, the API JSON, neither runs as a script), and no page takes
 * URLs from outside into a script tag. The file's integrity attribute pins its content too.
 * The layout writes it unescaped (keywords, hashes and `'self'`: no quote or markup), and sendHtml
 * repeats it in a header.
 */
function contentSecurityPolicy(scripts: readonly string[], files: boolean): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src ${[...(files ? ["'self'"] : []), ...scripts.map(sha256)].join(' ')}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
  ].join('; ');
}

export function page(options: PageOptions): string {
  const scripts = [SCRIPT, ...(options.scripts ?? [])];
  const nav = NAV.flatMap(({ item, label, path }) => {
    const href = options.links.to(path);
    return href === undefined ? [] : [{ label, href, current: item === options.nav }];
  });
  const crumbs = (options.crumbs ?? []).map((c) => ({
    label: c.label,
    href: c.path === undefined ? undefined : options.links.to(c.path),
  }));
  const scriptFiles = options.scriptFiles ?? [];
  return renderView('layout', {
    title: options.title,
    csp: contentSecurityPolicy(scripts, scriptFiles.length > 0),
    style: [STYLE, ...(options.styles ?? [])].join('\n'),
    scripts,
    scriptFiles,
    nav,
    crumbs,
    hasCrumbs: crumbs.length > 0,
    home: options.links.to('/'),
    // Pages a server renders show the state of now and refresh themselves; the static export (which has no
    // alert pages) has nothing newer to load.
    live: options.links.to('/alerts') !== undefined,
    refreshSeconds: REFRESH_SECONDS,
    body: options.body,
  });
}
