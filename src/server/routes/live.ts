import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { historyPath, SLOS_API_PATH } from '../../conventions/urls.ts';
import { evaluateSlos } from '../../evaluator/evaluate.ts';
import { HISTORY_RANGES, isHistoryRange } from '../../evaluator/history.ts';
import type { EvaluatorReport, SloHistory, UnevaluatedReport } from '../../evaluator/report.ts';
import type { Slo } from '../../spec/model.ts';
import { assetRoutes } from '../assets.ts';
import { sendError } from '../errors.ts';
import { chartRequest } from '../live.ts';

/**
 * The evaluator's numbers as JSON: `GET /api/v1/slos` (every SLO now) and
 * `GET /api/v1/slos/:service/:slo/history?range=24h&group.<label>=<value>` (the SLO page's chart data, see
 * evaluator/history.ts), and the chart library the page draws with.
 */

// Long enough for a week of a 30-day window on a busy Prometheus; the page's script waits a bit longer.
export const HISTORY_TIMEOUT_MS = 15_000;

const NO_PROMETHEUS = 'No Prometheus configured: start serve with --prometheus-url.';

async function routes(app: FastifyInstance, options: { slos: readonly Slo[] }): Promise<void> {
  const { slos } = options;
  assetRoutes(app);

  // Without a Prometheus every SLO is still listed, with every number null.
  app.get(SLOS_API_PATH, async (): Promise<EvaluatorReport | UnevaluatedReport> => {
    if (app.evaluation) return app.evaluation.latest();
    return {
      error: { at: new Date().toISOString(), message: NO_PROMETHEUS },
      slos: evaluateSlos([...slos], []),
    };
  });

  app.get<{ Params: { service: string; slo: string }; Querystring: Record<string, unknown> }>(
    historyPath({ service: ':service', name: ':slo' }),
    async (request, reply): Promise<SloHistory | undefined> => {
      const { service, slo: name } = request.params;
      const slo = slos.find((s) => s.service === service && s.name === name);
      if (!slo) return sendError(reply, 404, `no SLO ${service}/${name}`);
      if (request.query.range !== undefined && !isHistoryRange(request.query.range)) {
        return sendError(reply, 400, 'invalid query', [
          `range: expected one of ${HISTORY_RANGES.join(', ')}`,
        ]);
      }
      const history = app.evaluation?.history;
      if (!history) return sendError(reply, 503, NO_PROMETHEUS);
      const signal = AbortSignal.timeout(HISTORY_TIMEOUT_MS);
      try {
        return await history(slo, chartRequest(slo, request.query), signal);
      } catch (error) {
        if (signal.aborted) {
          return sendError(reply, 504, `Prometheus did not answer within ${HISTORY_TIMEOUT_MS / 1000} s`);
        }
        return sendError(reply, 503, (error as Error).message);
      }
    },
  );
}

export const liveRoutes = fp(routes, {
  name: 'burnbook-live-routes',
  encapsulate: true,
  dependencies: ['burnbook-evaluator'],
  decorators: { fastify: ['evaluation'] },
});
