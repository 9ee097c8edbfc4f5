import type { FastifyInstance } from 'fastify';
import { SiteUrls } from '../conventions/urls.ts';
import { buildApp } from '../server/app.ts';
import { alertSettings, describeAlertSettings } from './alert-options.ts';
import { durationFlag } from './duration-flag.ts';
import type { FlagsOf } from './flags.ts';
import { prometheusClientOptions } from './prometheus-options.ts';
import { storeChoice } from './store-options.ts';
import { EXIT, paint, progress } from './terminal.ts';
import { loadOrReport } from './validate.ts';

type ServeOptions = FlagsOf<'serve'>;

/** The evaluator's settings from the flags, or a message saying what is wrong with them. */
function evaluationSettings(opts: ServeOptions) {
  const evaluationIntervalMs = durationFlag('--evaluation-interval', opts.evaluationInterval, '30s or 1m');
  if (typeof evaluationIntervalMs === 'string') return evaluationIntervalMs;
  if (!opts.prometheusUrl) return { evaluationIntervalMs };
  const client = prometheusClientOptions(opts);
  if (typeof client === 'string') return client;
  const { url: prometheusUrl, ...prometheusAccess } = client;
  return { evaluationIntervalMs, prometheusUrl, prometheusAccess };
}

export async function serveCommand(paths: string[], opts: ServeOptions): Promise<void> {
  const loaded = loadOrReport(paths, { runbooksDir: opts.runbooks });
  if (!loaded) return;
  const evaluation = evaluationSettings(opts);
  const alerts = alertSettings(opts);
  const store = storeChoice(opts);
  if (typeof evaluation === 'string' || typeof alerts === 'string' || typeof store === 'string') {
    console.error([evaluation, alerts, store].find((setting) => typeof setting === 'string'));
    process.exitCode = EXIT.usage;
    return;
  }
  const port = Number(opts.port);
  const externalUrl = opts.externalUrl ?? `http://${opts.host}:${port}`;
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({
      slos: loaded.slos,
      externalUrl,
      runbooksDir: opts.runbooks,
      dataDir: opts.dataDir,
      openStore: store.open,
      ...evaluation,
      ...alerts,
      ...(opts.alertmanagerUrl ? { alertmanagerUrl: opts.alertmanagerUrl } : {}),
      ...(opts.grafanaUrl ? { grafanaUrl: opts.grafanaUrl } : {}),
    });
    // The store is ready once the server is: PostgreSQL is reached and migrated here.
    await app.ready();
  } catch (error) {
    // Opening the alert store is what can fail here: a damaged file, another burnbook on it, a database
    // not reachable, a newer schema.
    console.error(`Cannot start with ${store.flag}: ${(error as Error).message}`);
    process.exitCode = EXIT.environment;
    // What did open (the store's connections, the evaluator) would keep the process from exiting.
    await app?.close().catch(() => {});
    return;
  }
  // A store that cannot write starts the server read-only (alerts/store/sqlite/start.ts): say so first.
  const health = await app.alertStore.health();
  if (!health.ok) console.error(paint('yellow', `Starting read-only: ${health.problem}`));
  try {
    await app.listen({ port, host: opts.host });
  } catch (error) {
    console.error(`Cannot listen on ${opts.host}:${port}: ${(error as Error).message}`);
    process.exitCode = EXIT.environment;
    return;
  }
  progress(
    `burnbook serving ${loaded.slos.length} SLOs at http://${opts.host}:${port} (links use ${externalUrl})`,
  );
  progress(
    opts.prometheusUrl
      ? `Evaluating every ${opts.evaluationInterval} against ${opts.prometheusUrl}` +
          (opts.alertmanagerUrl ? `; alerts go to ${opts.alertmanagerUrl}` : '')
      : 'No Prometheus configured: pages show specs without live values.',
  );
  progress(describeAlertSettings(alerts, new SiteUrls(externalUrl).webhook, store.description));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app.close().then(() => process.exit(EXIT.ok));
    });
  }
}
