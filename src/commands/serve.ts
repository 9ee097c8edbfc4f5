import { parseDuration } from '../policy/duration.ts';
import { buildApp } from '../server/app.ts';
import { type PrometheusFlags, prometheusClientOptions } from './prometheus-options.ts';
import { EXIT, progress } from './terminal.ts';
import { loadOrReport } from './validate.ts';

export interface ServeOptions extends PrometheusFlags {
  port: string;
  host: string;
  dataDir: string;
  externalUrl?: string;
  alertmanagerUrl?: string;
  runbooks: string;
  evaluationInterval: string;
}

/** The evaluator's settings from the flags, or a message saying what is wrong with them. */
function evaluationSettings(opts: ServeOptions) {
  const evaluationIntervalMs = parseDuration(opts.evaluationInterval);
  if (evaluationIntervalMs === undefined) {
    return `--evaluation-interval ${JSON.stringify(opts.evaluationInterval)} is not a duration such as 30s or 1m`;
  }
  if (!opts.prometheusUrl) return { evaluationIntervalMs };
  const client = prometheusClientOptions(opts);
  if (typeof client === 'string') return client;
  const { url: prometheusUrl, ...prometheusAccess } = client;
  return { evaluationIntervalMs, prometheusUrl, prometheusAccess };
}

export async function serveCommand(paths: string[], opts: ServeOptions): Promise<void> {
  const loaded = loadOrReport(paths);
  if (!loaded) return;
  const evaluation = evaluationSettings(opts);
  if (typeof evaluation === 'string') {
    console.error(evaluation);
    process.exitCode = EXIT.usage;
    return;
  }
  const port = Number(opts.port);
  const externalUrl = opts.externalUrl ?? `http://${opts.host}:${port}`;
  const { app } = await buildApp({
    slos: loaded.slos,
    externalUrl,
    runbooksDir: opts.runbooks,
    dataDir: opts.dataDir,
    ...evaluation,
    ...(opts.alertmanagerUrl ? { alertmanagerUrl: opts.alertmanagerUrl } : {}),
  });
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
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app.close().then(() => process.exit(EXIT.ok));
    });
  }
}
