/**
 * Which runbook an alert belongs to, decided from its labels and annotations alone. Pure, and asked again
 * on every read rather than stored, so a runbook page added today links the alerts of last month too.
 */

import { type SiteUrls, sloPath, tierPath } from '../conventions/urls.ts';
import { ABSENT_TIER, type Tier } from '../policy/tiers.ts';
import type { RunbookPage } from '../runbooks/pages.ts';
import type { AbsentAlert, Slo } from '../spec/model.ts';

export type AlertLink =
  /** A burnbook alert: the tier's runbook page and its SLO's page. */
  | { kind: 'tier'; runbookPath: string; sloPath: string; slo: Slo; tier: Tier }
  /** A burnbook absent-SLI alert: its runbook page and its SLO's page. */
  | { kind: 'absent'; runbookPath: string; sloPath: string; slo: Slo; absent: AbsentAlert }
  /** A runbook page of this burnbook that is not a tier page. */
  | { kind: 'runbook'; runbookPath: string }
  /** A runbook somewhere else, from the alert's `runbook_url`; always http or https. */
  | { kind: 'external'; url: string }
  | { kind: 'none' };

export interface LinkTargets {
  slos: readonly Slo[];
  /** The runbook catalogue (runbooks/pages.ts). */
  pages: readonly RunbookPage[];
  /** Where this burnbook is reached: a `runbook_url` under it is one of its own pages. */
  urls: SiteUrls;
}

export interface LinkableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * In order: the SLO labels burnbook puts on its alerts; the `runbook_url` annotation (this burnbook's
 * page, or any other http(s) URL); a markdown runbook page named like the alert (`tenant-incident.md`
 * for alertname `tenant-incident`). The SLO labels come first because they survive a changed external URL.
 */
export function linkAlert(alert: LinkableAlert, targets: LinkTargets): AlertLink {
  const { slo_service: service, slo: name, slo_tier: tierName } = alert.labels;
  const slo = targets.slos.find((s) => s.service === service && s.name === name);
  const tier = slo?.alerting.tiers.find((t) => t.name === tierName);
  if (slo && tier) return tierLink(slo, tier);
  if (slo?.alerting.absent && tierName === ABSENT_TIER) return absentLink(slo, slo.alerting.absent);

  const url = httpUrl(alert.annotations.runbook_url, targets.urls.base);
  if (url) {
    const page = pageAt(targets.urls.pathOf(url), targets.pages);
    return page ? pageLink(page) : { kind: 'external', url: url.href };
  }

  const { alertname } = alert.labels;
  const named = targets.pages.find((p) => p.kind === 'markdown' && p.path.split('/').pop() === alertname);
  return named ? pageLink(named) : { kind: 'none' };
}

/** The site path of a link's runbook page, if it has one. */
export function runbookPathOf(link: AlertLink): string | undefined {
  return link.kind === 'external' || link.kind === 'none' ? undefined : link.runbookPath;
}

function tierLink(slo: Slo, tier: Tier): AlertLink {
  return { kind: 'tier', runbookPath: tierPath(slo, tier), sloPath: sloPath(slo), slo, tier };
}

function absentLink(slo: Slo, absent: AbsentAlert): AlertLink {
  return { kind: 'absent', runbookPath: tierPath(slo, absent), sloPath: sloPath(slo), slo, absent };
}

function pageLink(page: RunbookPage): AlertLink {
  if (page.kind === 'tier') return tierLink(page.slo, page.tier);
  if (page.kind === 'absent') return absentLink(page.slo, page.absent);
  return { kind: 'runbook', runbookPath: page.path };
}

/**
 * Text from an alert as an absolute http(s) URL (a relative one taken from `base`), or undefined:
 * `javascript:` and every other scheme must never become a link on a page.
 */
export function httpUrl(text: string | undefined, base?: string): URL | undefined {
  if (!text?.trim()) return undefined;
  let url: URL;
  try {
    url = new URL(text.trim(), base);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

// The suffixes the runbook routes redirect away from: links pasted from a repository or an export.
const SUFFIX = /(\/|\.md|\.html)$/;

function pageAt(path: string | undefined, pages: readonly RunbookPage[]): RunbookPage | undefined {
  if (path === undefined) return undefined;
  const bare = path.replace(SUFFIX, '');
  return pages.find((p) => p.path === path || p.path === bare);
}
