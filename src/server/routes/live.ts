import type { FastifyInstance } from 'fastify';
import { HISTORY_RANGES, isHistoryRange } from '../../evaluator/history.ts';
import type { AppContext } from '../app.ts';
import { assetRoutes } from '../assets.ts';
import { chartRequest, historyPath } from '../live.ts';

/**
 * `GET /api/v1/slos/:service/:slo/history?range=24h&group.<label>=<value>`: the SLO page's chart
 * data (see evaluator/history.ts), and the chart library it draws with.
 */

// Long enough for a week of a 30-day window on a busy Prometheus; the page's script waits a bit longer.
export const HISTORY_TIMEOUT_MS = 15_000;

export function liveRoutes(app: FastifyInstance, context: AppContext): void {
  assetRoutes(app);
  app.get<{ Params: { service: string; slo: string }; Querystring: Record<string, unknown> }>(
    historyPath({ service: ':service', name: ':slo' }),
    async (request, reply) => {
      const { service, slo: name } = request.params;
      const slo = context.slos.find((s) => s.service === service && s.name === name);
      if (!slo) return reply.code(404).send({ error: `no SLO ${service}/${name}` });
      if (request.query.range !== undefined && !isHistoryRange(request.query.range)) {
        return reply.code(400).send({ error: `range must be one of ${HISTORY_RANGES.join(', ')}` });
      }
      const history = context.evaluation?.history;
      if (!history) {
        return reply
          .code(503)
          .send({ error: 'No Prometheus configured: start serve with --prometheus-url.' });
      }
      const signal = AbortSignal.timeout(HISTORY_TIMEOUT_MS);
      try {
        return await history(slo, chartRequest(slo, request.query), signal);
      } catch (error) {
        const message = signal.aborted
          ? `Prometheus did not answer within ${HISTORY_TIMEOUT_MS / 1000} s`
          : (error as Error).message;
        return reply.code(signal.aborted ? 504 : 503).send({ error: message });
      }
    },
  );
}
