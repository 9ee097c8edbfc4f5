import { readdirSync, readFileSync } from 'node:fs';
import Mustache from 'mustache';

/**
 * The server's own mustache views (`views/*.mustache`), read once at startup. `{{ }}` escapes
 * for HTML; views use triple braces only for HTML burnbook rendered itself.
 */

const VIEWS_DIR = new URL('./views/', import.meta.url);

const views: Record<string, string> = Object.fromEntries(
  readdirSync(VIEWS_DIR)
    .filter((f) => f.endsWith('.mustache'))
    .map((f) => [f.replace(/\.mustache$/, ''), readFileSync(new URL(f, VIEWS_DIR), 'utf8')]),
);

export function renderView(name: string, view: object): string {
  const template = views[name];
  if (template === undefined) throw new Error(`no view ${name}.mustache in ${VIEWS_DIR.pathname}`);
  return Mustache.render(template, view, views);
}

/** Static assets next to the views (the stylesheet, the page script), inlined so pages need no other request. */
export function viewAsset(file: string): string {
  return readFileSync(new URL(file, VIEWS_DIR), 'utf8');
}
