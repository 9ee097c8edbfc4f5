import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Slo } from '../../spec/model.ts';
import { sendError } from '../errors.ts';

/** `GET /healthz`: 200 while the alert store can serve and take alerts, 503 with why when it cannot. */
async function routes(app: FastifyInstance, { slos }: { slos: readonly Slo[] }): Promise<void> {
  app.get('/healthz', async (_request, reply) => {
    const health = await app.alertStore.health();
    if (!health.ok) return sendError(reply, 503, 'the alert store is not healthy', [health.problem]);
    return { status: 'ok', slos: slos.length };
  });
}

export const healthRoutes = fp(routes, {
  name: 'burnbook-health',
  encapsulate: true,
  dependencies: ['burnbook-alerts'],
  decorators: { fastify: ['alertStore'] },
});
