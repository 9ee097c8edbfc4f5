/**
 * The postmortem draft: a markdown document from the incident report, through a mustache template teams
 * override like the runbook templates (`<runbooks>/templates/[<service>/[<slo>/]]postmortem.md.mustache`).
 * Values are escaped for markdown, not HTML: text from alerts and silences cannot add links, emphasis or
 * table cells to the draft.
 */
import Mustache from 'mustache';
import { requireTemplate, templatesFor } from '../runbooks/templates.ts';
import type { IncidentReport } from './report.ts';
import { incidentView } from './view.ts';

export const POSTMORTEM_TEMPLATE = 'postmortem.md';

/**
 * Backslash before what could turn a value into markup, a link, code or another table cell (`\ \` * [ ] < > |
 * ~`); line breaks become spaces, so a value stays on its line. Times, labels and numbers stay readable.
 */
export function escapeMarkdown(value: unknown): string {
  return String(value)
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*[\]<>|~]/g, '\\$&');
}

/**
 * Renders the draft. `incidentUrl` is where the incident's page is (SiteUrls.incidentPage). Throws when no
 * template directory has postmortem.md.mustache (burnbook ships one).
 */
export function postmortemMarkdown(report: IncidentReport, runbooksDir: string, incidentUrl: string): string {
  const template = requireTemplate(templatesFor(runbooksDir, report.slo), POSTMORTEM_TEMPLATE);
  const view = { ...incidentView(report), incidentUrl };
  return Mustache.render(template, view, {}, { escape: escapeMarkdown });
}
