import type { Slo } from '../../spec/model.ts';
import { byService } from '../rules/groups.ts';
import { jsonFile, sources, yamlFile } from '../rules/output.ts';
import { overviewDashboard } from './overview.ts';
import type { DashboardOptions } from './panels.ts';
import { dashboardProvider, datasourceExample, GRAFANA_DASHBOARDS_PATH } from './provisioning.ts';
import { serviceDashboard } from './service.ts';

export interface GrafanaFile {
  /** Relative to the Grafana output directory. */
  path: string;
  content: string;
}

/** Dashboards (named by uid, so no two collide) and provisioning files; pure, so it is tested without a disk. */
export function grafanaFiles(slos: readonly Slo[], opts: DashboardOptions): GrafanaFile[] {
  const dashboards = [
    { from: slos, board: overviewDashboard(slos, opts) },
    ...[...byService(slos)].map(([service, own]) => ({
      from: own,
      board: serviceDashboard(service, own, opts),
    })),
  ];
  return [
    ...dashboards.map(({ from, board }) => ({
      path: `dashboards/${board.uid}.json`,
      content: jsonFile(`from ${sources(from)}`, board),
    })),
    {
      path: 'provisioning/dashboards/burnbook.yaml',
      content: yamlFile(
        `for Grafana's provisioning/dashboards/; mount the dashboards directory at ${GRAFANA_DASHBOARDS_PATH}`,
        dashboardProvider(),
      ),
    },
    {
      path: 'provisioning/datasources/prometheus.example.yaml',
      content: yamlFile(
        "as an example for Grafana's provisioning/datasources/; point url at the Prometheus with burnbook's rules",
        datasourceExample(),
      ),
    },
  ];
}
