import { buildApp } from '../server/app.ts';
import { loadOrReport } from './validate.ts';
import { EXIT, progress } from './terminal.ts';

export interface ServeOptions {
  port: string;
  host: string;
  dataDir: string;
  externalUrl?: string;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  runbooks: string;
}

export async function serveCommand(paths: string[], opts: ServeOptions): Promise<void> {
  const loaded = loadOrReport(paths);
  if (!loaded) return;
  const port = Number(opts.port);
  const externalUrl = opts.externalUrl ?? `http://${opts.host}:${port}`;
  const { app } = await buildApp({
    slos: loaded.slos,
    externalUrl,
    runbooksDir: opts.runbooks,
    dataDir: opts.dataDir,
    ...(opts.prometheusUrl ? { prometheusUrl: opts.prometheusUrl } : {}),
    ...(opts.alertmanagerUrl ? { alertmanagerUrl: opts.alertmanagerUrl } : {}),
  });
  try {
    await app.listen({ port, host: opts.host });
  } catch (error) {
    console.error(`Cannot listen on ${opts.host}:${port}: ${(error as Error).message}`);
    process.exitCode = EXIT.environment;
    return;
  }
  progress(`burnbook serving ${loaded.slos.length} SLOs at http://${opts.host}:${port} (links use ${externalUrl})`);
  progress(opts.prometheusUrl ? `Prometheus: ${opts.prometheusUrl}` : 'No Prometheus configured: pages show specs without live values.');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app.close().then(() => process.exit(EXIT.ok));
    });
  }
}
