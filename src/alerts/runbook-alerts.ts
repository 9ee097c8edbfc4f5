/**
 * The `alertsFor` provider of the runbook pages (runbooks/providers.ts): the alerts that link to a page
 * by the rules of link.ts, found through the store's indexes rather than by reading every alert.
 */
import { alertName } from '../conventions/names.ts';
import { alertPath } from '../conventions/urls.ts';
import type { AlertSummary, AlertsFor } from '../runbooks/providers.ts';
import { type LinkTargets, linkAlert, runbookPathOf } from './link.ts';
import type { AlertListQuery, AlertRow, AlertStore } from './store/store.ts';

const LIMIT = 20;

function summary(row: AlertRow): AlertSummary {
  return {
    status: row.status,
    startsAt: new Date(row.startsAt).toISOString(),
    ...(row.status === 'resolved' && row.endsAt !== null
      ? { endsAt: new Date(row.endsAt).toISOString() }
      : {}),
    labels: row.labels,
    ...(row.annotations.summary === undefined ? {} : { summary: row.annotations.summary }),
    path: alertPath(row.id),
  };
}

/** Firing first, then the newest: the order store.list keeps within one query. */
function byRecency(a: AlertRow, b: AlertRow): number {
  if (a.status !== b.status) return a.status === 'firing' ? -1 : 1;
  return b.startsAt - a.startsAt || b.id - a.id;
}

export function runbookAlerts(store: Pick<AlertStore, 'list'>, targets: () => LinkTargets): AlertsFor {
  return async (runbookPath) => {
    const t = targets();
    const page = t.pages.find((p) => p.path === runbookPath);
    if (!page) return [];
    // Each way an alert can link to this page, as one indexed query each; link.ts then has the last word,
    // since an alert matched by name may link elsewhere by its runbook_url.
    const queries: AlertListQuery[] = [{ runbookUrl: t.urls.at(runbookPath) }];
    if (page.kind !== 'markdown') {
      queries.push({
        service: page.slo.service,
        slo: page.slo.name,
        alertname: alertName(page.slo, page.kind === 'tier' ? page.tier : page.absent),
      });
    } else {
      queries.push({ alertname: runbookPath.split('/').pop() as string });
    }
    const rows = new Map<number, AlertRow>();
    for (const query of queries) {
      for (const row of await store.list({ ...query, limit: LIMIT })) rows.set(row.id, row);
    }
    return [...rows.values()]
      .filter((row) => runbookPathOf(linkAlert(row, t)) === runbookPath)
      .sort(byRecency)
      .slice(0, LIMIT)
      .map(summary);
  };
}
