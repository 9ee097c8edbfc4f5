import type { FastifyInstance } from 'fastify';

/**
 * Headers on every answer, whatever route or error produced it: no content sniffing (an alert's text
 * served as JSON must never be run as HTML), and a policy that lets the answer load and run nothing and be
 * framed by no one. Pages replace the policy with their own (reply.ts), which allows their scripts.
 */

export const STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

export function securityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', STRICT_POLICY);
    return payload;
  });
}
