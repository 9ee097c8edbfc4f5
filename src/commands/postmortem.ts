import type { LinkTargets } from '../alerts/link.ts';
import { type AlertStoreReader, openSqliteReader } from '../alerts/store/sqlite/reader.ts';
import { SiteUrls } from '../conventions/urls.ts';
import { createAlertmanagerClient } from '../evaluator/alertmanager-client.ts';
import { incidentOfAlert } from '../incidents/load.ts';
import { postmortemMarkdown } from '../incidents/postmortem.ts';
import { incidentReport } from '../incidents/report.ts';
import { createPrometheusClient } from '../prometheus/client.ts';
import { catalogue } from '../runbooks/pages.ts';
import { readMarkdownFiles } from '../runbooks/sources.ts';
import type { FlagsOf } from './flags.ts';
import { prometheusClientOptions } from './prometheus-options.ts';
import { type StoreChoice, storeChoice } from './store-options.ts';
import { EXIT, paint, progress } from './terminal.ts';
import { loadOrReport } from './validate.ts';

/**
 * `burnbook postmortem <incident>`: the draft `/incidents/<id>/postmortem.md` serves, printed on stdout from
 * the store in --data-dir (read-only: it may run beside serve, or after it stopped). Prometheus and
 * Alertmanager are optional; what they could not give the draft names, and stderr repeats it.
 */
export async function postmortemCommand(
  incident: string,
  paths: string[],
  opts: FlagsOf<'postmortem'>,
): Promise<void> {
  if (!/^\d{1,15}$/.test(incident)) {
    console.error(`incident ${JSON.stringify(incident)}: expected a number, the id /incidents shows`);
    process.exitCode = EXIT.usage;
    return;
  }
  const loaded = loadOrReport(paths, { runbooksDir: opts.runbooks });
  if (!loaded) return;
  const prometheusOptions = opts.prometheusUrl ? prometheusClientOptions(opts) : undefined;
  if (typeof prometheusOptions === 'string') {
    console.error(prometheusOptions);
    process.exitCode = EXIT.usage;
    return;
  }
  const choice = storeChoice(opts);
  if (typeof choice === 'string') {
    console.error(choice);
    process.exitCode = EXIT.usage;
    return;
  }
  let store: AlertStoreReader;
  try {
    store = await openReader(opts, choice);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = EXIT.environment;
    return;
  }
  try {
    const urls = new SiteUrls(opts.externalUrl);
    const targets: LinkTargets = {
      slos: loaded.slos,
      pages: catalogue(loaded.slos, readMarkdownFiles(opts.runbooks, loaded.slos)).pages,
      urls,
    };
    const found = await incidentOfAlert(store, targets, Number(incident));
    if (!found) {
      console.error(`No incident ${incident} in ${choice.description}: /incidents lists them.`);
      process.exitCode = EXIT.invalid;
      return;
    }
    if (found.id !== Number(incident)) progress(`Alert ${incident} is part of incident ${found.id}.`);
    progress(
      `Incident ${found.id}: ${found.alerts.length} alert(s)` +
        (prometheusOptions
          ? `; asking Prometheus at ${prometheusOptions.url}`
          : '; no --prometheus-url: no burn or impact numbers') +
        (opts.alertmanagerUrl ? ` and Alertmanager at ${opts.alertmanagerUrl}` : ''),
    );
    const report = await incidentReport(found, {
      store,
      targets,
      ...(prometheusOptions ? { prometheus: createPrometheusClient(prometheusOptions) } : {}),
      ...(opts.alertmanagerUrl
        ? { alertmanager: createAlertmanagerClient({ url: opts.alertmanagerUrl, timeoutMs: 10_000 }) }
        : {}),
      now: Date.now(),
    });
    for (const missing of report.unavailable) progress(paint('yellow', `Could not get ${missing}`));
    process.stdout.write(postmortemMarkdown(report, opts.runbooks, urls.incidentPage(found.id)));
  } catch (error) {
    // Prometheus and Alertmanager never throw here (the report names what they did not give): the store did.
    console.error(`Cannot read the alert store (${choice.description}): ${(error as Error).message}`);
    process.exitCode = EXIT.environment;
  } finally {
    await store.close();
  }
}

/**
 * SQLite read-only (it may run beside serve, which holds the writer); PostgreSQL through its store, as
 * serve opens it (replicas share it anyway).
 */
async function openReader(opts: FlagsOf<'postmortem'>, choice: StoreChoice): Promise<AlertStoreReader> {
  if (!opts.store) return openSqliteReader(opts.dataDir);
  const store = choice.open({});
  try {
    await store.ready();
  } catch (error) {
    await store.close();
    throw new Error(`Cannot read the alert history with ${choice.flag}: ${(error as Error).message}`);
  }
  return store;
}
