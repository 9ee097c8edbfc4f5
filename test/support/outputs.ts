import { GrafanaUrls } from '../../src/conventions/dashboards.ts';
import { SiteUrls } from '../../src/conventions/urls.ts';
import { alertmanagerOutput } from '../../src/outputs/alertmanager/output.ts';
import { grafanaOutput } from '../../src/outputs/grafana/output.ts';
import { type Output, type RenderedFile, renderedFiles } from '../../src/outputs/output.ts';
import type { AlertOptions } from '../../src/outputs/rules/alerting.ts';
import { promtoolTestsOutput, rulesOutput } from '../../src/outputs/rules/output.ts';
import type { Slo } from '../../src/spec/model.ts';

/** What `generate` writes, rendered without a disk: each output's files, paths relative to its directory. */

export const TEST_URL = 'http://burnbook.test';

export function alertOptions(externalUrl = TEST_URL, grafanaUrl?: string): AlertOptions {
  return { urls: new SiteUrls(externalUrl), ...(grafanaUrl ? { grafana: new GrafanaUrls(grafanaUrl) } : {}) };
}

export function filesOf(output: Output, slos: readonly Slo[]): RenderedFile[] {
  return renderedFiles(output, slos);
}

/** `rules/<service>.yaml`, as `generate --external-url <externalUrl>` writes them. */
export function ruleFiles(slos: readonly Slo[], externalUrl = TEST_URL): RenderedFile[] {
  return filesOf(rulesOutput({ dir: '.', alerts: alertOptions(externalUrl) }), slos);
}

/** `rules/tests/<service>-<slo>.test.yaml`. */
export function promtoolTestFiles(slos: readonly Slo[], externalUrl = TEST_URL): RenderedFile[] {
  return filesOf(promtoolTestsOutput({ dir: '.', alerts: alertOptions(externalUrl) }), slos);
}

/** The Alertmanager snippet's text. */
export function alertmanagerFile(slos: readonly Slo[], externalUrl = TEST_URL): string {
  const [file] = filesOf(
    alertmanagerOutput({ file: 'alertmanager.yaml', urls: new SiteUrls(externalUrl) }),
    slos,
  );
  return file?.content ?? '';
}

/** `grafana/dashboards/*.json` and the provisioning files. */
export function grafanaFiles(slos: readonly Slo[], externalUrl = TEST_URL): RenderedFile[] {
  return filesOf(grafanaOutput({ dir: '.', urls: new SiteUrls(externalUrl) }), slos);
}
