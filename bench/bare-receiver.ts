/**
 * The receiver benchmark's baseline: fastify with the same body limit as burnbook's webhook, parsing the
 * same JSON and answering 200 without validating or storing anything. `node --import tsx bare-receiver.ts PORT`
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
app.post('/hooks/alertmanager', async (request) => ({
  status: 'ok',
  alerts: (request.body as { alerts?: unknown[] }).alerts?.length ?? 0,
}));
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
