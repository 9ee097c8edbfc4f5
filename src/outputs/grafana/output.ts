import { dashboardFileName, OVERVIEW_UID, serviceDashboardUid } from '../../conventions/dashboards.ts';
import type { SiteUrls } from '../../conventions/urls.ts';
import { byService } from '../../spec/by-service.ts';
import type { Slo } from '../../spec/model.ts';
import { jsonFile, sources, yamlFile } from '../generated.ts';
import { type Output, outputFile } from '../output.ts';
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
      // Named by uid without building the board, so a board known from an earlier run is never built.
      const board = (uid: string, from: readonly Slo[], build: () => { uid?: string }) =>
        outputFile(dashboardFileName(uid), from, () => {
          const built = build();
          if (built.uid !== uid) throw new Error(`dashboard uid ${built.uid} is not the expected ${uid}`);
          return jsonFile(`from ${sources(from)}`, built);
        });
      yield board(OVERVIEW_UID, slos, () => overviewDashboard(slos, opts));
      for (const [service, own] of byService(slos)) {
        yield board(serviceDashboardUid(service), own, () => serviceDashboard(service, own, opts));
      }
      yield outputFile('provisioning/dashboards/burnbook.yaml', [], () =>
        yamlFile(
          `for Grafana's provisioning/dashboards/; mount the dashboards directory at ${GRAFANA_DASHBOARDS_PATH}`,
          dashboardProvider(),
        ),
      );
      yield outputFile('provisioning/datasources/prometheus.example.yaml', [], () =>
        yamlFile(
          "as an example for Grafana's provisioning/datasources/; point url at the Prometheus with burnbook's rules",
          datasourceExample(),
        ),
      );
    },
  };
}
