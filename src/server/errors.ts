import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';

/**
 * Every error answer burnbook gives in JSON has this one shape, whichever route or fastify itself failed:
 * `error` says what happened in a few words, `problems` what to fix, one line each (`alerts[3].startsAt:
 * expected an RFC 3339 timestamp`), empty when there is nothing more to say.
 */
export const errorBodySchema = z.strictObject({
  error: z.string(),
  problems: z.array(z.string()),
});

export type ErrorBody = z.infer<typeof errorBodySchema>;

export function errorBody(error: string, problems: string[] = []): ErrorBody {
  return { error, problems };
}

export function sendError(reply: FastifyReply, status: number, error: string, problems: string[] = []) {
  return reply.code(status).send(errorBody(error, problems));
}

/** What fastify's own errors mean to whoever sent the request, by code; anything else keeps fastify's message. */
const CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'expected JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'expected JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'content-type: expected application/json',
};

/**
 * The app's error handler: an error a route throws, or fastify raises (a body that is not JSON, too large, a
 * bad content type), answers in the one shape. 4xx keeps fastify's status; anything else is a 500.
 */
export function answerErrorsInOneShape(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, status, error.message, [CLIENT_ERRORS[error.code] ?? error.message]);
    }
    return sendError(reply, 500, 'internal error', [error.message]);
  });
}
