import { posix } from 'node:path';
import Mustache from 'mustache';
import { prometheusGraphUrl } from '../conventions/urls.ts';
import type { AbsentContext, FirstLookQuery, TierContext } from './context.ts';
import { codeFence, escapeMarkdown, markdownToHtml } from './markdown.ts';
import type { LiveSample, TierNow } from './providers.ts';
import {
  parseSections,
  type RunbookSections,
  SECTION_HEADINGS,
  SECTION_KEYS,
  type SectionKey,
} from './sections.ts';
import { requireTemplate, type Templates } from './templates.ts';

/**
 * A tier page from its facts, the SLO's runbook file and the templates: one view, rendered
 * as HTML for the browser and as markdown for teams that keep runbooks in a wiki or repo.
 * Alerts are not part of it: they exist only on the running server, which adds them.
 */

export type LinkTo = (path: string) => string | undefined;

// Mustache escapes for HTML unless told otherwise; markdown templates escape for markdown.
const MARKDOWN_OUTPUT = { escape: escapeMarkdown };

/** What a first-look query shows where its current value would go. */
export type LiveState =
  | { kind: 'values'; samples: LiveSample[]; omitted: number }
  | { kind: 'error'; message: string }
  /** Why there is no value, and what would give one. */
  | { kind: 'note'; text: string };

export interface RunbookFile {
  /** As written in the spec, for messages. */
  file: string;
  /** Undefined when the file could not be read. */
  text?: string;
  /** Site directory its relative links resolve from, e.g. `/runbooks/checkout/`. */
  sourceDir: string;
}

export interface TierPageInput {
  context: TierContext;
  runbook?: RunbookFile;
  templates: Templates;
  linkTo: LinkTo;
  prometheusUrl?: string;
  dashboardUrl?: string;
  /** One per query, in order. */
  live: LiveState[];
  /** The tier's state now, when a server's evaluator knows it: the page opens with it. */
  now?: TierNow;
}

export function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `{${pairs.join(', ')}}`;
}

function liveView(state: LiveState | undefined, threshold: number, step: FirstLookQuery['step']) {
  if (state?.kind === 'values') {
    return {
      samples: state.samples.map((s) => ({
        labels: formatLabels(s.labels),
        value: Number.isFinite(s.value) ? String(Number(s.value.toPrecision(4))) : String(s.value),
        // A scope value is a share of the ratio, and a series count no ratio: the threshold is for ratios.
        above: (step === 'confirm' || step === 'trend') && s.value > threshold,
      })),
      empty: state.samples.length === 0,
      omitted: state.omitted || null,
    };
  }
  if (state?.kind === 'error') return { error: state.message };
  return { note: state?.text };
}

/** The queries as a page shows them: numbered, fenced for markdown, linked to Prometheus, with their values. */
function queryViews(
  queries: readonly FirstLookQuery[],
  live: readonly LiveState[],
  threshold: number,
  prometheusUrl: string | undefined,
) {
  return queries.map((q, i) => ({
    ...q,
    id: `query-${i + 1}`,
    number: i + 1,
    fence: codeFence(q.expr),
    prometheusHref: prometheusUrl ? prometheusGraphUrl(prometheusUrl, q.expr) : undefined,
    live: liveView(live[i], threshold, q.step),
  }));
}

interface SectionView {
  key: SectionKey;
  title: string;
  markdown: string;
  html: string;
  isDefault: boolean;
}

function sectionViews(
  input: TierPageInput,
  own: RunbookSections,
  defaults: RunbookSections,
  pageDir: string,
) {
  const toHtml = (markdown: string, sourceDir: string) =>
    markdownToHtml(markdown, { sourceDir, to: input.linkTo });
  const ownDir = input.runbook?.sourceDir ?? pageDir;
  const section = {} as Record<SectionKey, SectionView>;
  for (const key of SECTION_KEYS) {
    const mine = own.known[key];
    const markdown = mine ?? defaults.known[key] ?? '';
    section[key] = {
      key,
      title: SECTION_HEADINGS[key].title,
      markdown,
      html: toHtml(markdown, mine === undefined ? pageDir : ownDir),
      isDefault: mine === undefined,
    };
  }
  return {
    section,
    intro: own.intro ? { markdown: own.intro, html: toHtml(own.intro, ownDir) } : undefined,
    extraSections: own.extra.map((s) => ({ ...s, html: toHtml(s.markdown, ownDir) })),
  };
}

/** Tells the reader where the team's own text comes from, when some of the page is burnbook's defaults. */
function runbookNote(input: TierPageInput, anyDefault: boolean): string | undefined {
  const { runbook, context } = input;
  if (!runbook) {
    return (
      `Sections marked "default" are burnbook's generic advice. Add runbook: runbooks/${context.slo.service}/` +
      `${context.slo.slo}.md to the SLO (${context.slo.source}) to write your team's own.`
    );
  }
  if (runbook.text === undefined) {
    return `The SLO's runbook file ${runbook.file} could not be read, so every section shows burnbook's defaults.`;
  }
  return anyDefault
    ? `Sections marked "default" are not in ${runbook.file} yet; add them there under the same heading.`
    : undefined;
}

/** The view both templates render: the facts plus links, live values and sections. */
export function tierPageView(input: TierPageInput) {
  const { context, linkTo } = input;
  const pageDir = posix.dirname(context.path);
  const base = {
    ...context,
    tierIs: { [context.name]: true },
    severityIs: { [context.severity]: true },
    hrefs: { slo: linkTo(context.slo.path) },
    dashboardUrl: input.dashboardUrl,
    otherTiers: context.otherTiers.map((t) => ({ ...t, href: linkTo(t.path) })),
    queries: queryViews(context.queries, input.live, context.thresholdValue, input.prometheusUrl),
    now: input.now
      ? {
          ...input.now,
          longWindow: context.longWindow,
          shortWindow: context.shortWindow,
          threshold: context.threshold,
        }
      : null,
  };
  const defaultsMarkdown = Mustache.render(
    requireTemplate(input.templates, 'defaults.md'),
    base,
    input.templates,
    MARKDOWN_OUTPUT,
  );
  const own = parseSections(input.runbook?.text ?? '');
  const sections = sectionViews(input, own, parseSections(defaultsMarkdown), `${pageDir}/`);
  const anyDefault = Object.values(sections.section).some((s) => s.isDefault && s.markdown);
  return { ...base, ...sections, runbookNote: runbookNote(input, anyDefault) };
}

/**
 * The page's body as HTML, or the whole page as markdown. Each format gets its own `linkTo`:
 * a markdown export links to the other runbooks' markdown files.
 */
export function renderTierPage(input: TierPageInput, format: 'html' | 'md'): string {
  const view = tierPageView(input);
  const template = requireTemplate(input.templates, `tier.${format}`);
  return format === 'html'
    ? Mustache.render(template, view, input.templates)
    : Mustache.render(template, view, input.templates, MARKDOWN_OUTPUT);
}

export interface AbsentPageInput {
  context: AbsentContext;
  templates: Templates;
  linkTo: LinkTo;
  prometheusUrl?: string;
  dashboardUrl?: string;
  /** One per query, in order. */
  live: LiveState[];
}

/**
 * The absent-SLI alert's page (templates `absent.html`, `absent.md`): what is missing and the queries that
 * find it. The SLO's runbook file is about burns, so its sections are not repeated here.
 */
export function renderAbsentPage(input: AbsentPageInput, format: 'html' | 'md'): string {
  const { context, linkTo } = input;
  const view = {
    ...context,
    severityIs: { [context.severity]: true },
    hrefs: { slo: linkTo(context.slo.path) },
    dashboardUrl: input.dashboardUrl,
    tiers: context.tiers.map((t) => ({ ...t, href: linkTo(t.path) })),
    queries: queryViews(context.queries, input.live, Number.POSITIVE_INFINITY, input.prometheusUrl),
  };
  const template = requireTemplate(input.templates, `absent.${format}`);
  return format === 'html'
    ? Mustache.render(template, view, input.templates)
    : Mustache.render(template, view, input.templates, MARKDOWN_OUTPUT);
}
