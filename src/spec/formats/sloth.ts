import { z } from 'zod';
import { formatDuration, parseDuration } from '../../policy/duration.ts';
import type { Catalog } from '../catalog.ts';
import type { IssueProblem } from '../issues.ts';
import { burnbookFor, burnbookName, parseWith, problem } from './foreign.ts';
import { Origins, type TranslateResult } from './translate.ts';

/**
 * Sloth's specs, both spellings: `version: prometheus/v1` files (snake_case keys) and the Kubernetes
 * `PrometheusServiceLevel` of `sloth.slok.dev/v1` (camelCase, under `spec`). Sloth's model: per SLO an
 * events (bad ÷ total queries with `{{.window}}`), raw (an error-ratio query) or plugin SLI; one page alert
 * and one ticket alert, each the OR of two window pairs of a catalog chosen by the period
 * (internal/alert/windows: Google's 2% 1h/5m, 5% 6h/30m, 10% 1d/2h, 10% 3d/6h), both named `alerting.name`
 * and told apart by `sloth_severity`. Here each window pair is a tier, so the page alert is the tiers
 * page-quick and page-slow; the alert name is kept, with the tier in `slo_tier`.
 */

export const SLOTH_API_VERSION = 'sloth.slok.dev/v1';

const SLOTH_DEFAULT_PERIOD = '30d';

interface Keys {
  errorQuery: string;
  totalQuery: string;
  errorRatioQuery: string;
  pageAlert: string;
  ticketAlert: string;
  sloPlugins: string;
}

export const SNAKE_KEYS: Keys = {
  errorQuery: 'error_query',
  totalQuery: 'total_query',
  errorRatioQuery: 'error_ratio_query',
  pageAlert: 'page_alert',
  ticketAlert: 'ticket_alert',
  sloPlugins: 'slo_plugins',
};

export const CAMEL_KEYS: Keys = {
  errorQuery: 'errorQuery',
  totalQuery: 'totalQuery',
  errorRatioQuery: 'errorRatioQuery',
  pageAlert: 'pageAlert',
  ticketAlert: 'ticketAlert',
  sloPlugins: 'sloPlugins',
};

// Sloth reads YAML through sigs.k8s.io/yaml, which turns any scalar into the string a label needs (`true`).
const labels = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const alert = z
  .object({ disable: z.boolean().optional(), labels: labels.optional(), annotations: labels.optional() })
  .strict();
const plugins = z
  .object({
    overridePrevious: z.boolean().optional(),
    chain: z
      .array(
        z
          .object({ id: z.string(), config: z.unknown().optional(), priority: z.number().optional() })
          .strict(),
      )
      .optional(),
  })
  .strict();

type Plugins = z.infer<typeof plugins>;
type Alert = z.infer<typeof alert>;

interface SlothSlo {
  name: string;
  description?: string;
  objective: number;
  labels?: Record<string, string>;
  plugins?: Plugins;
  sli: {
    events?: Record<string, string>;
    raw?: Record<string, string>;
    plugin?: { id: string; options?: Record<string, unknown> };
  };
  alerting?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
}

/** A Sloth service spec as checked; page and ticket alerts and plugins under the keys of its spelling. */
interface Spec {
  service: string;
  labels?: Record<string, string>;
  slos: SlothSlo[];
  [key: string]: unknown;
}

/** A Sloth service spec (the whole prometheus/v1 file, or a PrometheusServiceLevel's `spec`), in one key spelling. */
export function slothSpecSchema(k: Keys): z.ZodType<Spec> {
  const sli = z
    .object({
      events: z
        .object({ [k.errorQuery]: z.string().min(1), [k.totalQuery]: z.string().min(1) })
        .strict()
        .optional(),
      raw: z
        .object({ [k.errorRatioQuery]: z.string().min(1) })
        .strict()
        .optional(),
      plugin: z
        .object({ id: z.string(), options: z.record(z.string(), z.unknown()).optional() })
        .strict()
        .optional(),
    })
    .strict();
  const slo = z
    .object({
      name: z.string().min(1),
      description: z.string().optional(),
      objective: z.number(),
      labels: labels.optional(),
      plugins: plugins.optional(),
      sli,
      alerting: z
        .object({
          name: z.string().optional(),
          labels: labels.optional(),
          annotations: labels.optional(),
          // Sloth's examples mix the spellings (pageAlert in prometheus/v1 files), which Sloth then ignores
          // without a word; burnbook reads both, so the labels the author meant are on the alerts.
          page_alert: alert.optional(),
          pageAlert: alert.optional(),
          ticket_alert: alert.optional(),
          ticketAlert: alert.optional(),
        })
        .strict()
        .optional(),
    })
    .strict();
  return z.object({
    service: z.string().min(1),
    labels: labels.optional(),
    [k.sloPlugins]: plugins.optional(),
    slos: z.array(slo).min(1, 'expected at least one SLO'),
  }) as unknown as z.ZodType<Spec>;
}

/** One quick or slow window of a Sloth catalog. */
const windowSchema = z
  .object({ errorBudgetPercent: z.number().positive(), shortWindow: z.string(), longWindow: z.string() })
  .strict();
const quickSlow = z.object({ quick: windowSchema, slow: windowSchema }).strict();

/** Sloth's `kind: AlertWindows` catalog: the window pairs of page and ticket alerts for one SLO period. */
export const alertWindowsSchema = z
  .object({
    apiVersion: z.literal(SLOTH_API_VERSION),
    kind: z.literal('AlertWindows'),
    metadata: z.unknown().optional(),
    spec: z.object({ sloPeriod: z.string(), page: quickSlow, ticket: quickSlow }).strict(),
  })
  .strict();

type Windows = z.infer<typeof alertWindowsSchema>['spec'];

/** Sloth's built-in catalogs: the SRE Workbook's numbers, for 30d and 28d (internal/alert/windows). */
function googleWindows(sloPeriod: string): Windows {
  return {
    sloPeriod,
    page: {
      quick: { errorBudgetPercent: 2, shortWindow: '5m', longWindow: '1h' },
      slow: { errorBudgetPercent: 5, shortWindow: '30m', longWindow: '6h' },
    },
    ticket: {
      quick: { errorBudgetPercent: 10, shortWindow: '2h', longWindow: '1d' },
      slow: { errorBudgetPercent: 10, shortWindow: '6h', longWindow: '3d' },
    },
  };
}

/**
 * The catalog Sloth would use and the period it implies. Sloth specs carry no period: Sloth takes
 * `--default-slo-period` (30d), and a windows directory replaces its built-in catalogs. So: AlertWindows
 * documents in the run replace the built-in ones; one period among them is the period; several, 30d if
 * one of them is 30d.
 */
function chooseWindows(
  catalog: Catalog,
): { windows: Windows; from?: string; problem?: undefined } | { problem: string } {
  const custom = catalog.all([SLOTH_API_VERSION], 'AlertWindows').flatMap((e) => {
    const parsed = alertWindowsSchema.safeParse(e.document);
    return parsed.success ? [{ windows: parsed.data.spec, from: `${e.file}:${e.line}` }] : [];
  });
  if (!custom.length) return { windows: googleWindows(SLOTH_DEFAULT_PERIOD) };
  const periods = [...new Set(custom.map((c) => c.windows.sloPeriod))];
  const chosen =
    periods.length === 1
      ? custom[0]
      : custom.find((c) => parseDuration(c.windows.sloPeriod) === parseDuration('30d'));
  if (!chosen) {
    return {
      problem: `Sloth specs carry no period, and the AlertWindows catalogs loaded are for ${periods.join(', ')}: burnbook cannot tell which one Sloth's --default-slo-period would pick`,
    };
  }
  return { windows: chosen.windows, from: chosen.from };
}

/**
 * Sloth's own SLO plugins that change nothing burnbook generates: its core rule generation (which burnbook
 * replaces), logging, validation, labels on its info metric, rule group intervals. Any other plugin changes
 * the rules in Go code burnbook cannot run.
 */
const HARMLESS_PLUGINS =
  /^sloth\.dev\/(core\/.*|contrib\/(validate_victoria_metrics|info_labels|rule_intervals)\/v1)$/;

function pluginProblems(p: Plugins | undefined, path: PropertyKey[], notes: string[]): IssueProblem[] {
  return (p?.chain ?? []).flatMap((plugin, i) => {
    if (HARMLESS_PLUGINS.test(plugin.id)) {
      notes.push(`Sloth plugin ${plugin.id} is left out: it changes nothing burnbook generates.`);
      return [];
    }
    return [
      problem(
        [...path, 'chain', i, 'id'],
        `Sloth SLO plugin "${plugin.id}" is Go code that burnbook cannot run`,
        'remove the plugin; burnbook generates its own recording rules and alerts',
      ),
    ];
  });
}

interface SeverityPlan {
  word: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  disabled: boolean;
}

/**
 * Sloth puts `alerting.labels` and the page or ticket alert's labels on that alert; a `severity` among them
 * is, in burnbook, the tier's severity (the label burnbook sets), so it names the tiers' severity.
 */
function severityOf(
  kind: 'page' | 'ticket',
  shared: Record<string, string>,
  own: Alert | undefined,
): SeverityPlan {
  const { severity, ...labels } = own?.labels ?? {};
  return {
    word: severity ?? shared.severity ?? kind,
    labels: { ...labels, sloth_severity: kind },
    annotations: own?.annotations ?? {},
    disabled: own?.disable ?? false,
  };
}

function tier(name: string, severity: string, w: Windows['page']['quick']) {
  return {
    name,
    severity,
    budgetPercent: w.errorBudgetPercent,
    long: w.longWindow,
    short: w.shortWindow,
    for: burnbookFor(w.longWindow, w.shortWindow),
  };
}

/** Translates a checked Sloth spec at `base` of its document into one burnbook/v1 document. */
export function translateSloth(
  spec: Spec,
  k: Keys,
  base: PropertyKey[],
  catalog: Catalog,
  origin: string,
): TranslateResult {
  const origins = new Origins();
  const notes: string[] = [];
  const problems = pluginProblems(spec[k.sloPlugins] as Plugins | undefined, [...base, k.sloPlugins], notes);
  const service = burnbookName(spec.service);
  if (!service)
    problems.push(problem([...base, 'service'], `service "${spec.service}" leaves no usable name`));
  else if (service !== spec.service)
    notes.push(
      `service "${spec.service}" is "${service}" here (burnbook names are lowercase letters, digits, _ and -).`,
    );
  origins.link(['service'], [...base, 'service'], service === spec.service);
  if (spec.labels) origins.link(['labels'], [...base, 'labels']);
  const chosen = chooseWindows(catalog);
  if (chosen.problem !== undefined) {
    return {
      translations: [],
      problems: [problem([...base, 'slos'], chosen.problem, 'import the SLOs and set period: on each')],
    };
  }
  const { windows } = chosen;
  notes.push(
    chosen.from
      ? `Period ${windows.sloPeriod} and tiers from the AlertWindows catalog at ${chosen.from}.`
      : "Sloth specs carry no period: 30d, Sloth's default, with its built-in windows (SRE Workbook).",
    "Sloth's page alert is the tiers page-quick and page-slow, its ticket alert ticket-quick and ticket-slow, each with burnbook's `for`; alerts keep Sloth's name, `slo_tier` tells the tiers apart and `sloth_severity` stays for your routes.",
    "Sloth has no alert for an SLI that reads nothing; burnbook adds its absent-SLI alert (`alerting.absent`, named SLOMetricAbsent beside Sloth's shared name) with the ticket alert's severity and labels (the page alert's where tickets are disabled; none where both are).",
  );

  const slos: Array<Record<string, unknown>> = [];
  spec.slos.forEach((slo: SlothSlo, i: number) => {
    const at = [...base, 'slos', i];
    // An SLO with a problem of its own is left out, so burnbook still checks the others.
    const before = problems.length;
    const to = ['slos', slos.length];
    problems.push(...pluginProblems(slo.plugins, [...at, 'plugins'], notes));
    const name = burnbookName(slo.name);
    if (!name) problems.push(problem([...at, 'name'], `SLO name "${slo.name}" leaves no usable name`));
    else if (name !== slo.name) notes.push(`SLO "${slo.name}" is "${name}" here.`);
    origins.link(to, at, false).link([...to, 'name'], [...at, 'name'], name === slo.name);
    for (const key of ['objective', 'description', 'labels']) origins.link([...to, key], [...at, key]);

    let sli: Record<string, unknown> = {};
    if (slo.sli.plugin) {
      problems.push(
        problem(
          [...at, 'sli', 'plugin', 'id'],
          `Sloth SLI plugin "${slo.sli.plugin.id}" is Go code that burnbook cannot run`,
          'write the query the plugin builds as an events SLI (error_query and total_query with {{.window}}) or a raw SLI',
        ),
      );
    } else if (slo.sli.events) {
      const events = slo.sli.events as Record<string, string>;
      sli = { query: { errors: events[k.errorQuery], total: events[k.totalQuery] } };
      origins.link([...to, 'sli', 'query', 'errors'], [...at, 'sli', 'events', k.errorQuery]);
      origins.link([...to, 'sli', 'query', 'total'], [...at, 'sli', 'events', k.totalQuery]);
    } else if (slo.sli.raw) {
      sli = { errorRatio: { query: (slo.sli.raw as Record<string, string>)[k.errorRatioQuery] } };
      origins.link([...to, 'sli', 'errorRatio', 'query'], [...at, 'sli', 'raw', k.errorRatioQuery]);
    } else {
      problems.push(problem([...at, 'sli'], 'expected one of events | raw | plugin'));
    }
    origins.link([...to, 'sli'], [...at, 'sli'], false);

    const alerting = slo.alerting ?? {};
    const shared = alerting.labels ?? {};
    const other = k === SNAKE_KEYS ? CAMEL_KEYS : SNAKE_KEYS;
    // This format's spelling, or the other one when only that is written.
    const spelled = (own: string, theirs: string) =>
      alerting[own] === undefined && alerting[theirs] !== undefined ? theirs : own;
    const pageKey = spelled(k.pageAlert, other.pageAlert);
    const ticketKey = spelled(k.ticketAlert, other.ticketAlert);
    if (pageKey !== k.pageAlert || ticketKey !== k.ticketAlert) {
      notes.push(
        `SLO "${slo.name}" writes ${pageKey === k.pageAlert ? ticketKey : pageKey}, which Sloth ignores in this format; burnbook reads it.`,
      );
    }
    const page = severityOf('page', shared, alerting[pageKey] as Alert | undefined);
    const ticket = severityOf('ticket', shared, alerting[ticketKey] as Alert | undefined);
    if (page.word === ticket.word) {
      problems.push(
        problem(
          [...at, 'alerting'],
          `the page and ticket alerts both carry severity "${page.word}"; burnbook tells their labels apart by severity`,
          `give ${k.pageAlert} and ${k.ticketAlert} different severity labels`,
        ),
      );
    }
    const { severity: _s, ...sharedLabels } = shared;
    const severities: Record<string, unknown> = {};
    for (const [plan, key] of [
      [page, k.pageAlert],
      [ticket, k.ticketAlert],
    ] as const) {
      severities[plan.word] = plan.disabled
        ? { disabled: true }
        : {
            labels: plan.labels,
            ...(Object.keys(plan.annotations).length ? { annotations: plan.annotations } : {}),
          };
      origins.link([...to, 'alerting', 'severities', plan.word], [...at, 'alerting', key], false);
      origins.link(
        [...to, 'alerting', 'severities', plan.word, 'annotations'],
        [...at, 'alerting', key, 'annotations'],
      );
    }
    const allDisabled = page.disabled && ticket.disabled;
    // Sloth has no absent alert: burnbook's goes out as a ticket, or as a page where tickets are disabled.
    const absentFollows = ticket.disabled ? page : ticket;
    origins
      .link([...to, 'alerting'], [...at, 'alerting'], false)
      .link([...to, 'alerting', 'alertname'], [...at, 'alerting', 'name'])
      .link([...to, 'alerting', 'labels'], [...at, 'alerting', 'labels'])
      .link([...to, 'alerting', 'annotations'], [...at, 'alerting', 'annotations']);
    if (problems.length > before) return;
    slos.push({
      name: name ?? slo.name,
      ...(slo.description ? { description: slo.description } : {}),
      objective: slo.objective,
      period: formatDuration(parseDuration(windows.sloPeriod) ?? 0),
      ...(slo.labels && Object.keys(slo.labels).length ? { labels: slo.labels } : {}),
      sli,
      alerting: {
        ...(alerting.name ? { alertname: alerting.name } : {}),
        ...(Object.keys(sharedLabels).length ? { labels: sharedLabels } : {}),
        ...(alerting.annotations && Object.keys(alerting.annotations).length
          ? { annotations: alerting.annotations }
          : {}),
        ...(allDisabled ? { disabled: true } : { severities }),
        tiers: [
          tier('page-quick', page.word, windows.page.quick),
          tier('page-slow', page.word, windows.page.slow),
          tier('ticket-quick', ticket.word, windows.ticket.quick),
          tier('ticket-slow', ticket.word, windows.ticket.slow),
        ],
        absent: allDisabled ? false : { severity: absentFollows.word },
      },
    });
  });
  const document = {
    apiVersion: 'burnbook/v1',
    service: service ?? spec.service,
    ...(spec.labels && Object.keys(spec.labels).length ? { labels: spec.labels } : {}),
    slos,
  };
  return { translations: slos.length ? [{ document, origins, notes, origin }] : [], problems };
}

/** The Sloth document at `base` checked and translated; `origin` names the format for the imported file. */
export function readSloth(
  document: unknown,
  base: PropertyKey[],
  k: Keys,
  catalog: Catalog,
  origin: string,
): TranslateResult {
  const spec = base.reduce<unknown>(
    (v, key) => (v as Record<PropertyKey, unknown> | undefined)?.[key],
    document,
  );
  const parsed = parseWith(slothSpecSchema(k), spec, base);
  if (parsed.problems) return { translations: [], problems: parsed.problems };
  return translateSloth(parsed.data, k, base, catalog, origin);
}
