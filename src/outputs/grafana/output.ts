import { dashboardFileName } from '../../conventions/dashboards.ts';
import type { SiteUrls } from '../../conventions/urls.ts';
import { byService } from '../../spec/by-service.ts';
import { jsonFile, sources, yamlFile } from '../generated.ts';
import type { Output } from '../output.ts';
import { overviewDashboard } from './overview.ts';
import { dashboardProvider, datasourceExample, GRAFANA_DASHBOARDS_PATH } from './provisioning.ts';
import { serviceDashboard } from './service.ts';

/**
 * `--grafana DIR`: dashboards (the overview and one per service, named by uid, so no two collide) and the
 * provisioning files that load them. The directory is the output's own: dashboards of deleted services go.
 */
export function grafanaOutput({ dir, urls }: { dir: string; urls: SiteUrls }): Output {
  return {
    name: 'dashboards',
    dir,
    prune: true,
    counts: (file) => file.path.endsWith('.json'),
    *files(slos) {
      const opts = { urls };
      const dashboards = [
        { from: slos, board: overviewDashboard(slos, opts) },
        ...[...byService(slos)].map(([service, own]) => ({
          from: own,
          board: serviceDashboard(service, own, opts),
        })),
      ];
      for (const { from, board } of dashboards) {
        yield {
          path: dashboardFileName(board.uid as string),
          content: jsonFile(`from ${sources(from)}`, board),
        };
      }
      yield {
        path: 'provisioning/dashboards/burnbook.yaml',
        content: yamlFile(
          `for Grafana's provisioning/dashboards/; mount the dashboards directory at ${GRAFANA_DASHBOARDS_PATH}`,
          dashboardProvider(),
        ),
      };
      yield {
        path: 'provisioning/datasources/prometheus.example.yaml',
        content: yamlFile(
          "as an example for Grafana's provisioning/datasources/; point url at the Prometheus with burnbook's rules",
          datasourceExample(),
        ),
      };
    },
  };
}
