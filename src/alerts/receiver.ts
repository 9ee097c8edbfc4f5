/**
 * `POST /hooks/alertmanager`. Alertmanager drops a notification answered 4xx and retries one answered
 * 5xx, so the status says which it should do: 2xx once the alerts are committed, 4xx for a body that can
 * never succeed (nothing of it is stored), 503 for what may pass on a retry (the store says which).
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { WEBHOOK_PATH } from '../conventions/urls.ts';
import { errorBody } from '../server/errors.ts';
import type { AlertMetrics, WebhookOutcome } from './metrics.ts';
import type { PayloadParseResult } from './payload.ts';
import { BodyTooComplexError, CheckerBusyError, type PayloadChecker } from './payload-checker.ts';
import type { AlertStore, IngestResult } from './store/store.ts';
import { type AuthCheck, authChallenges, type WebhookAuth, webhookAuthorizer } from './webhook-auth.ts';

export interface ReceiverOptions {
  /** Where deliveries go: resolves once one is committed, and says which of its failures are transient. */
  store: Pick<AlertStore, 'ingest' | 'isTransient'>;
  auth: WebhookAuth;
  metrics: AlertMetrics;
  /** Parses and validates bodies without stalling the server (payload-checker.ts). */
  checker: PayloadChecker;
  bodyLimit: number;
  /** Called after the answer is on its way with the alerts the delivery started firing, if any. */
  onFiring: (alerts: IngestResult['newlyFiring']) => void;
}

const AUTH_MESSAGES: Record<Exclude<AuthCheck, 'ok'>, string> = {
  missing:
    'credentials required: set http_config.authorization or http_config.basic_auth in the webhook_config',
  wrong: 'the credentials do not match',
};

// application/json, and the +json types some proxies rewrite it to.
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
const EMPTY = new Uint8Array(0);

/**
 * The webhook route, a fastify plugin registered with what it needs. Its scope takes the body as bytes:
 * fastify's JSON parser refuses any `__proto__` key (a legal label name) and parses on the event loop,
 * where a hostile body would stall every other request; the receiver parses it itself (payload-checker.ts).
 */
export async function receiverRoute(app: FastifyInstance, options: ReceiverOptions): Promise<void> {
  const { metrics } = options;
  const authorize = webhookAuthorizer(options.auth);
  const challenges = authChallenges(options.auth);

  const answer = (reply: FastifyReply, outcome: WebhookOutcome, status: number, body: object) => {
    metrics.webhookRequests.inc({ outcome });
    return reply.code(status).send(body);
  };
  const reject = (reply: FastifyReply, status: number, error: string, problems: string[]) =>
    answer(reply, 'rejected', status, errorBody(error, problems));
  const retryLater = (reply: FastifyReply, error: string, problem: string) => {
    reply.header('retry-after', '1');
    return answer(reply, 'error', 503, errorBody(error, [problem]));
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.route({
    method: 'POST',
    url: WEBHOOK_PATH,
    bodyLimit: options.bodyLimit,
    // Before the body is read: an unauthenticated sender costs no parsing.
    onRequest: async (request, reply) => {
      const check = authorize?.(request.headers.authorization) ?? 'ok';
      if (check === 'ok') return;
      reply.header('www-authenticate', challenges.length === 1 ? challenges[0] : challenges);
      return answer(reply, 'unauthorized', 401, errorBody('unauthorized', [AUTH_MESSAGES[check]]));
    },
    errorHandler: (error: FastifyError, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reject(reply, 413, 'payload too large', [
          `body: larger than ${options.bodyLimit} bytes; lower max_alerts in the webhook_config`,
        ]);
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) return reject(reply, status, error.message, []);
      return answer(reply, 'error', 500, errorBody('internal error', [error.message]));
    },
    handler: async (request, reply) => {
      const receivedAt = Date.now();
      if (!JSON_TYPE.test(request.headers['content-type'] ?? '')) {
        return reject(reply, 415, 'unsupported media type', ['content-type: expected application/json']);
      }
      let parsed: PayloadParseResult;
      try {
        parsed = await options.checker.check((request.body as Uint8Array | undefined) ?? EMPTY);
      } catch (error) {
        if (error instanceof BodyTooComplexError) {
          return reject(reply, 413, 'payload too complex', [error.message]);
        }
        if (error instanceof CheckerBusyError) {
          return retryLater(
            reply,
            'too busy checking other large bodies; Alertmanager retries',
            error.message,
          );
        }
        throw error;
      }
      if (!parsed.ok) return reject(reply, 400, 'invalid Alertmanager payload', parsed.problems);
      let result: IngestResult;
      try {
        result = await options.store.ingest({ payload: parsed.payload, receivedAt });
      } catch (error) {
        const message = (error as Error).message;
        if (options.store.isTransient(error)) {
          return retryLater(reply, 'the alerts were not stored; Alertmanager retries', message);
        }
        return answer(
          reply,
          'error',
          500,
          errorBody('the alerts were not stored; Alertmanager retries', [message]),
        );
      }
      metrics.alertsStored.inc(result.stored);
      metrics.truncatedAlerts.inc(parsed.payload.truncatedAlerts ?? 0);
      const { newlyFiring } = result;
      if (newlyFiring.length > 0) setImmediate(() => options.onFiring(newlyFiring));
      return answer(reply, 'stored', 200, {
        status: 'stored',
        alerts: parsed.payload.alerts.length,
        new: result.stored,
        changed: result.updated,
        unchanged: result.unchanged,
      });
    },
  });
}
