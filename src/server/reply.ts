import type { FastifyReply } from 'fastify';
import { STRICT_POLICY } from './headers.ts';

// The policy page() wrote into the page's head (layout.ts); raw there, since it holds no quote or markup.
const META_POLICY = /<meta http-equiv="Content-Security-Policy" content="([^"<>]*)">/;

/**
 * Sends a page from layout.ts with headers that keep it from being framed or sniffed as something else.
 * The page's Content-Security-Policy goes in a header too: a meta tag cannot forbid framing, and a header
 * holds even where the markup before the meta tag were ever tampered with.
 */
export function sendHtml(reply: FastifyReply, html: string, status = 200): FastifyReply {
  const policy = META_POLICY.exec(html.slice(0, 4096))?.[1];
  return reply
    .code(status)
    .header('content-security-policy', policy ? `${policy}; frame-ancestors 'none'` : STRICT_POLICY)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(html);
}
