import type { FastifyInstance } from 'fastify';
import { runCache } from '../cache/entries.ts';
import { specCache } from '../cache/specs.ts';
import { SiteUrls } from '../conventions/urls.ts';
import { buildApp } from '../server/app.ts';
import { formatSpecError } from '../spec/errors.ts';
import { loadSpecs } from '../spec/load.ts';
import type { Slo } from '../spec/model.ts';
import { alertSettings, describeAlertSettings } from './alert-options.ts';
import { durationFlag } from './duration-flag.ts';
import type { FlagsOf } from './flags.ts';
import { prometheusClientOptions } from './prometheus-options.ts';
import { watchForReload } from './reload.ts';
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
  // generate's cache of spec models: at 10,000 SLOs loading them is most of the startup, and a reload reads
  // again only the files that changed.
  const cache = runCache();
  const loadOptions = { runbooksDir: opts.runbooks, cache: specCache(cache) };
  const loaded = loadOrReport(paths, loadOptions);
  cache.bound();
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
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port ${JSON.stringify(opts.port)} is not a port number (0 to 65535)`);
    process.exitCode = EXIT.usage;
    return;
  }
  const externalUrl = opts.externalUrl ?? `http://${opts.host}:${port}`;
  const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);
  const build = async (slos: Slo[]): Promise<FastifyInstance | undefined> => {
    let built: FastifyInstance | undefined;
    try {
      built = await buildApp({
        slos,
        externalUrl,
        runbooksDir: opts.runbooks,
        dataDir: opts.dataDir,
        openStore: store.open,
        log,
        ...evaluation,
        ...alerts,
        ...(opts.alertmanagerUrl ? { alertmanagerUrl: opts.alertmanagerUrl } : {}),
        ...(opts.grafanaUrl ? { grafanaUrl: opts.grafanaUrl } : {}),
      });
      // The store is ready once the server is: PostgreSQL is reached and migrated here.
      await built.ready();
      return built;
    } catch (error) {
      // Opening the alert store is what can fail here: a damaged file, another burnbook on it, a database
      // not reachable, a newer schema.
      console.error(`Cannot start with ${store.flag}: ${(error as Error).message}`);
      process.exitCode = EXIT.environment;
      // What did open (the store's connections, the evaluator) would keep the process from exiting.
      await built?.close().catch(() => {});
      return undefined;
    }
  };
  let app = await build(loaded.slos);
  if (!app) return;
  // A store that cannot write starts the server read-only (alerts/store/sqlite/start.ts): say so first.
  const health = await app.alertStore.health();
  if (!health.ok) console.error(paint('yellow', `Starting read-only: ${health.problem}`));
  try {
    await app.listen({ port, host: opts.host });
  } catch (error) {
    console.error(`Cannot listen on ${opts.host}:${port}: ${(error as Error).message}`);
    // The store's writer thread and the evaluator keep the process alive: stop them, then exit.
    await app.close();
    process.exit(EXIT.environment);
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

  const reloader = watchForReload(
    [...paths, opts.runbooks],
    async (why) => {
      const result = loadSpecs(paths, loadOptions);
      cache.bound();
      if (result.errors.length) {
        const [first] = result.errors;
        log(
          `reload (${why}) refused, still serving the SLOs loaded before: ${result.errors.length} error(s) in the specs` +
            (first ? `; first: ${formatSpecError(first).split('\n')[0]}` : ''),
        );
        return;
      }
      // A new app on the same port: the SLOs reach the evaluator, pages, links and alert matching at build
      // time. Webhook deliveries in the moment between are refused and retried by Alertmanager.
      await app?.close();
      app = await build(result.slos);
      if (!app) process.exit(EXIT.environment);
      try {
        await app.listen({ port, host: opts.host });
      } catch (error) {
        console.error(`Cannot listen on ${opts.host}:${port} after reload: ${(error as Error).message}`);
        await app.close();
        process.exit(EXIT.environment);
      }
      log(`reloaded (${why}): ${result.slos.length} SLOs`);
    },
    (error) => log(`reload failed: ${error.message}`),
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      reloader.close();
      void reloader.idle().then(() => app?.close().then(() => process.exit(EXIT.ok)));
    });
  }
}
