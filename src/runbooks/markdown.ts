import { posix } from 'node:path';
import MarkdownIt from 'markdown-it';

/**
 * Markdown from runbook files, made safe for pages: raw HTML is escaped (`html: false`),
 * markdown-it refuses `javascript:` links, and a relative link to another runbook's `.md`
 * file goes to that runbook's page wherever the page is served from.
 */

export interface MarkdownLinks {
  /** Site path of the directory the markdown file sits in, e.g. `/runbooks/checkout/`. */
  sourceDir: string;
  /** href for a site path on the page being rendered. */
  to: (path: string) => string | undefined;
}

const md = new MarkdownIt({ html: false, linkify: true });

const RELATIVE_MD = /^(?![a-z][a-z0-9+.-]*:|\/|#)([^?#]*)\.md((?:[?#].*)?)$/i;

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function rewriteLink(href: string, links: MarkdownLinks): string {
  const match = RELATIVE_MD.exec(href);
  if (!match) return href;
  const target = posix.join(links.sourceDir, safeDecode(match[1] ?? ''));
  return `${links.to(target) ?? href}${match[2] ?? ''}`;
}

const defaultLinkOpen = md.renderer.rules.link_open;
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  const href = token?.attrGet('href');
  const links = (env as { links?: MarkdownLinks } | undefined)?.links;
  if (token && href && links) token.attrSet('href', rewriteLink(String(href), links));
  return defaultLinkOpen
    ? defaultLinkOpen(tokens, idx, options, env, self)
    : self.renderToken(tokens, idx, options);
};

export function markdownToHtml(markdown: string, links: MarkdownLinks): string {
  return md.render(markdown, { links });
}

const MARKDOWN_SPECIAL: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Text for markdown prose: entities for what would become HTML, backslashes for what would
 * become markdown syntax. Templates use it for every value; code goes in fences instead.
 */
export function escapeMarkdown(value: unknown): string {
  return String(value)
    .replace(/[&<>]/g, (c) => MARKDOWN_SPECIAL[c] ?? c)
    .replace(/[\\`*_[\]()|#!~]/g, '\\$&');
}

/** A fence no backtick run in `code` can close. */
export function codeFence(code: string): string {
  const longest = Math.max(0, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}
