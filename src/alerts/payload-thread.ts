/**
 * Checks large webhook bodies in a worker thread of its own (see payload-checker.ts): JSON.parse of a
 * hostile 8 MiB body (millions of empty objects) takes about a second, which on the main thread would stall
 * every page and webhook for as long.
 */
import { parentPort } from 'node:worker_threads';
import { parseWebhookBody } from './payload.ts';
import type { CheckReply, CheckRequest } from './payload-checker.ts';

if (!parentPort) throw new Error('payload-thread.ts runs as a worker thread (see payload-checker.ts)');
const port = parentPort;

port.on('message', (request: CheckRequest) => {
  port.postMessage({ id: request.id, result: parseWebhookBody(request.body) } satisfies CheckReply);
});
