/**
 * Grafana provisioning files (https://grafana.com/docs/grafana/latest/administration/provisioning/).
 * Grafana reads them from its own file system, so they name paths inside Grafana, not here.
 */

/** Where the provider expects `<dir>/dashboards` to be mounted, e.g. `-v $PWD/grafana/dashboards:<this>:ro`. */
export const GRAFANA_DASHBOARDS_PATH = '/var/lib/grafana/dashboards/burnbook';

export function dashboardProvider() {
  return {
    apiVersion: 1,
    providers: [
      {
        name: 'burnbook',
        orgId: 1,
        folder: 'SLOs',
        folderUid: 'burnbook',
        type: 'file',
        // Regenerating is how these dashboards change; edits in the UI would be lost at the next run.
        allowUiUpdates: false,
        disableDeletion: false,
        updateIntervalSeconds: 30,
        options: { path: GRAFANA_DASHBOARDS_PATH, foldersFromFilesStructure: false },
      },
    ],
  };
}

/**
 * A Prometheus data source that has the rules burnbook generated. The dashboards do not depend on
 * its name or uid: they pick any Prometheus data source through their `datasource` variable.
 */
export function datasourceExample() {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        type: 'prometheus',
        access: 'proxy',
        url: 'http://prometheus:9090',
        // Another provisioned default would make Grafana refuse to start.
        isDefault: false,
        jsonData: { httpMethod: 'POST' },
      },
    ],
  };
}
