import type { Slo } from '../spec/model.ts';
import { type SloAlert, tierName } from './names.ts';

/**
 * Every path and URL burnbook builds, in one place. Site paths (`/slos/checkout/availability`) are where
 * the server answers; absolute URLs (in rules, dashboards, the Alertmanager snippet, pushed alerts) are a
 * site path under the one base URL people reach burnbook at (`--external-url`), which may carry a path
 * prefix (`https://ops.example.com/burnbook`).
 */

/** What a path needs of an SLO: both names, or placeholders (`:service`) for route patterns and templates. */
export type SloNames = Pick<Slo, 'service' | 'name'>;

/** Alertmanager's `webhook_config` posts here. */
export const WEBHOOK_PATH = '/hooks/alertmanager';
export const RUNBOOKS_PATH = '/runbooks';
export const ALERTS_PATH = '/alerts';
export const ALERTS_API_PATH = '/api/v1/alerts';
export const SLOS_API_PATH = '/api/v1/slos';
export const INCIDENTS_PATH = '/incidents';

export function sloPath(slo: SloNames): string {
  return `/slos/${slo.service}/${slo.name}`;
}

/**
 * An alert's runbook page (a tier's, or the absent-SLI alert's), the path of every alert's `runbook_url`:
 * `/runbooks/<service>/<slo>-<tier>-burn` or `/runbooks/<service>/<slo>-sli-absent`, burnbook's own name for the
 * alert (tierName) even where the spec shares one alert name between alerts.
 */
export function tierPath(slo: Slo, alert: Pick<SloAlert, 'name'>): string {
  return `${RUNBOOKS_PATH}/${slo.service}/${tierName(slo, alert)}`;
}

/** A hand-written runbook page: its file under the runbooks directory without `.md`. */
export function markdownPagePath(file: string): string {
  return `${RUNBOOKS_PATH}/${file.replace(/\.md$/i, '')}`;
}

export function alertPath(id: number): string {
  return `${ALERTS_PATH}/${id}`;
}

/** An incident's page; its id is the store id of its first alert (incidents/group.ts). */
export function incidentPath(id: number): string {
  return `${INCIDENTS_PATH}/${id}`;
}

/** An incident's postmortem draft, as markdown. */
export function postmortemPath(id: number): string {
  return `${incidentPath(id)}/postmortem.md`;
}

/** The SLO page's chart data, under the API like `/api/v1/slos`. */
export function historyPath(slo: SloNames): string {
  return `${SLOS_API_PATH}/${slo.service}/${slo.name}/history`;
}

/** A base URL as given (`http://host:9090/`, `https://host/prefix//`) without its trailing slashes. */
export function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Site paths as absolute URLs under one base URL; the base loses its trailing slashes here, once. */
export class SiteUrls {
  readonly base: string;

  constructor(externalUrl: string) {
    this.base = baseUrl(externalUrl);
  }

  /** A site path (`/runbooks/checkout/x`) under the base. */
  at(path: string): string {
    return `${this.base}${path}`;
  }

  /** An alert's `runbook_url`. */
  runbook(slo: Slo, alert: Pick<SloAlert, 'name'>): string {
    return this.at(tierPath(slo, alert));
  }

  sloPage(slo: SloNames): string {
    return this.at(sloPath(slo));
  }

  alertPage(id: number): string {
    return this.at(alertPath(id));
  }

  incidentPage(id: number): string {
    return this.at(incidentPath(id));
  }

  history(slo: SloNames): string {
    return this.at(historyPath(slo));
  }

  /** The URL for the Alertmanager snippet's webhook receiver. */
  get webhook(): string {
    return this.at(WEBHOOK_PATH);
  }

  /** The `generatorURL` of alerts burnbook's evaluator fires: the SLO's page, as Prometheus links its graph. */
  generator(slo: SloNames): string {
    return this.sloPage(slo);
  }

  /** The site path of a URL under the base (which may have a path prefix), or undefined when it is elsewhere. */
  pathOf(url: URL): string | undefined {
    try {
      const base = new URL(this.base);
      const prefix = baseUrl(base.pathname);
      if (url.origin !== base.origin || !url.pathname.startsWith(`${prefix}/`)) return undefined;
      return decodeURIComponent(url.pathname.slice(prefix.length));
    } catch {
      return undefined;
    }
  }
}

/** Prometheus's graph page with `expr` filled in: where a first-look query opens. */
export function prometheusGraphUrl(prometheusUrl: string, expr: string): string {
  return `${baseUrl(prometheusUrl)}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=0`;
}
