import { parseTemplate } from '../outputs/rules/go-template.ts';
import { absentForMs, burnFactor, errorBudget, threshold } from '../policy/burn.ts';
import { type AdaptedTier, defaultTiers } from '../policy/default-tiers.ts';
import { formatDuration, parseDuration } from '../policy/duration.ts';
import { formatNumber } from '../policy/number.ts';
import { ABSENT_TIER, DEFAULT_TIER_NAMES, DEFAULT_TIERS, type Tier } from '../policy/tiers.ts';
import { BASE_WINDOW_MS, MAX_PERIOD_MS } from '../policy/windows.ts';
import { isLegacyLabelName } from '../promql/strings.ts';
import { checkSli, countsEvents, type Sli, UTF8_NAME_PROBLEM } from '../sli/index.ts';
import type { SloSpec, SpecHeader, TierRef } from './schema.ts';

/** One SLO, validated and resolved: what every generator and the server read. */
export interface Slo {
  service: string;
  name: string;
  description: string;
  /** Percent, e.g. 99.5. */
  objective: number;
  periodMs: number;
  /** Labels on every rule and alert: the spec file's, then the SLO's own over them. */
  labels: Record<string, string>;
  sli: Sli;
  groupBy: string[];
  breakdown: string[];
  minEvents?: number;
  alerting: {
    /** Prefix of burnbook's own names for each tier (`<name>-<tier>-burn`): runbook pages, and alerts by default. */
    name: string;
    /** The alert name every tier shares instead (an imported SLO keeps its tool's), if set. */
    alertname?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    /** Extra labels and annotations for the alerts of one severity. */
    severities: Record<string, { labels: Record<string, string>; annotations: Record<string, string> }>;
    /** Fastest first. Every tier is measured and shown; only those not in `silent` raise an alert. */
    tiers: Tier[];
    /** Names of tiers that raise no alert (`alerting.disabled`, or their severity disabled). */
    silent: string[];
    /** The absent-SLI alert; undefined when the spec switches it off (`absent: false`) or its severity is disabled. */
    absent?: AbsentAlert;
  };
  runbook?: string;
  scrapeIntervalMs: number;
  /** Where the SLO is defined, for errors and pages that point back at the spec. */
  source: { file: string; line: number };
}

/** The tiers that raise an alert, fastest first: every tier but the silent ones. */
export function alertingTiers(slo: Slo): Tier[] {
  return slo.alerting.silent.length
    ? slo.alerting.tiers.filter((t) => !slo.alerting.silent.includes(t.name))
    : slo.alerting.tiers;
}

/**
 * The alert that fires when the SLI cannot be computed: its total series (or its latency bucket) has been
 * absent for `forMs`. `name` is its `slo_tier` label.
 */
export interface AbsentAlert {
  name: typeof ABSENT_TIER;
  severity: string;
  forMs: number;
  /**
   * The alert name it shares with other SLOs' absent alerts, when the tiers share one too
   * (`alerting.alertname`): `alerting.absent.alertname`, else Pyrra's `SLOMetricAbsent`.
   */
  alertname?: string;
}

/** A semantic problem in a spec file, at a path the loader turns into file:line:col. */
export interface ModelProblem {
  path: PropertyKey[];
  message: string;
  hint?: string;
  offset?: number;
  /** For a key of the map at `path` (an unknown key, a severity no tier has): point at the key itself. */
  key?: string;
}

/** The lowest burn factor a tier may have: it fires on a burn that spends at least 95% of the budget. */
const MIN_BURN_FACTOR = 0.95;

/** Label names burnbook sets itself; a spec that sets them would break alert routing and linking. */
export const RESERVED_LABELS = ['alertname', 'slo_service', 'slo', 'slo_tier', 'severity'];

/**
 * A tier of the spec, resolved: a default's name is the default adapted to this SLO's period and objective
 * (policy/default-tiers.ts); an object named like a default overrides only the fields it gives.
 */
function resolveTier(
  ref: TierRef,
  defaults: readonly AdaptedTier[],
  periodMs: number,
  problems: ModelProblem[],
  path: PropertyKey[],
): Tier | undefined {
  const name = typeof ref === 'string' ? ref : ref.name;
  if (name === ABSENT_TIER) {
    problems.push({
      path,
      message: `"${ABSENT_TIER}" is the slo_tier of the SLO's absent-SLI alert, so no tier can take the name`,
      hint: 'name the tier differently; the absent alert is set with alerting.absent',
    });
    return undefined;
  }
  const base = defaults.find((t) => t.name === name);
  if (typeof ref === 'string' && !base) {
    problems.push({
      path,
      message: `unknown tier "${ref}"`,
      hint: `default tiers are ${DEFAULT_TIER_NAMES.join(', ')}; or write a tier object with name, budgetPercent, long, short`,
    });
    return undefined;
  }
  if (base && 'problem' in base) {
    const given =
      typeof ref === 'string' ? [] : (['long', 'short'] as const).filter((k) => ref[k] !== undefined);
    if (given.length < 2) {
      problems.push({
        path,
        message: `${base.problem} of a period this short`,
        hint: 'use a period of a day or more, or write the tier out with long and short windows that fit',
      });
      return undefined;
    }
  }
  const adapted =
    base && !('problem' in base)
      ? {
          severity: base.severity,
          budgetPercent: base.budgetPercent,
          long: formatDuration(base.longMs),
          short: formatDuration(base.shortMs),
          for: formatDuration(base.forMs),
        }
      : (DEFAULT_TIERS.find((t) => t.name === name) ?? {});
  const merged = { severity: 'page', for: '0s', ...adapted, ...(typeof ref === 'string' ? {} : ref) };
  if (typeof ref !== 'string' && ref.factor !== undefined) {
    if (ref.budgetPercent !== undefined) {
      problems.push({
        path,
        message: `tier "${name}" gives both budgetPercent and factor`,
        hint: 'keep one',
      });
      return undefined;
    }
    const longMs = parseDuration(merged.long ?? '');
    // factor = share × period ÷ long (policy/burn.ts), so the share is factor × long ÷ period.
    merged.budgetPercent = longMs === undefined ? undefined : (ref.factor * longMs * 100) / periodMs;
  }
  const missing = (['budgetPercent', 'long', 'short'] as const).filter((k) => merged[k] === undefined);
  if (missing.length) {
    problems.push({
      path,
      message: `tier "${name}" is not a default tier, so it needs ${missing.join(', ')}`,
      hint: 'e.g. {name: fast, budgetPercent: 2, long: 1h, short: 5m, for: 2m, severity: page}, or factor: 14.4 instead of budgetPercent',
    });
    return undefined;
  }
  return {
    name,
    severity: merged.severity,
    budgetPercent: merged.budgetPercent as number,
    longMs: parseDuration(merged.long as string) as number,
    shortMs: parseDuration(merged.short as string) as number,
    forMs: parseDuration(merged.for) ?? 0,
  };
}

function checkTier(
  tier: Tier,
  slo: SloSpec,
  periodMs: number,
  scrapeMs: number,
  path: PropertyKey[],
): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const long = formatDuration(tier.longMs);
  const short = formatDuration(tier.shortMs);
  if (tier.shortMs >= tier.longMs) {
    problems.push({
      path,
      message: `tier "${tier.name}": short window ${short} must be shorter than long window ${long}`,
    });
  }
  if (tier.forMs > periodMs)
    problems.push({ path, ...forLongerThanPeriod(`tier "${tier.name}"`, tier.forMs, periodMs) });
  if (tier.longMs > periodMs) {
    problems.push({
      path,
      message: `tier "${tier.name}": long window ${long} is longer than the period ${formatDuration(periodMs)}`,
      hint: 'no tier fits a period shorter than its long window; pick a longer period or shorter tiers',
    });
  }
  for (const [which, ms] of [
    ['short', tier.shortMs],
    ['long', tier.longMs],
  ] as const) {
    if (ms < BASE_WINDOW_MS) {
      problems.push({
        path,
        message: `tier "${tier.name}": ${which} window ${formatDuration(ms)} is shorter than 5m, the shortest window burnbook measures`,
      });
    } else if (ms < 2 * scrapeMs) {
      problems.push({
        path,
        message: `tier "${tier.name}": ${which} window ${formatDuration(ms)} holds fewer than two scrapes at scrapeInterval ${formatDuration(scrapeMs)}`,
        hint: 'rate() needs two samples in a window; use windows of at least twice the scrape interval',
      });
    }
  }
  const factor = burnFactor(tier, periodMs);
  // A tier that fires below burn 1 pages for a budget that the period will never spend. Just under 1 is a
  // deliberate choice in the field (Sloth's own 7d catalog: 42% within 3d, factor 0.98), so only a factor
  // clearly below 1 is refused.
  if (factor < MIN_BURN_FACTOR && tier.longMs <= periodMs) {
    const share = tier.budgetPercent / 100;
    problems.push({
      path,
      message:
        `tier "${tier.name}" has a burn factor of ${formatNumber(factor)} (${formatNumber(tier.budgetPercent)}% of the ` +
        `${formatDuration(periodMs)} budget within ${long}): it would fire on a burn that never spends the budget`,
      hint: `the factor is budgetPercent × period ÷ long window; keep it at 1 or more: long: ${formatDuration(
        Math.floor((share * periodMs) / BASE_WINDOW_MS) * BASE_WINDOW_MS,
      )} or shorter, or budgetPercent: ${formatNumber(Math.ceil(((100 * tier.longMs) / periodMs) * 100) / 100)} or more`,
    });
  }
  const t = threshold(tier, periodMs, slo.objective);
  // An objective written as a ratio is reported once, not again as every tier's threshold.
  if (t >= 1 && slo.objective > 1) {
    problems.push({
      path,
      message: `tier "${tier.name}" would fire above an error ratio of ${formatNumber(t)}, which can never happen`,
      hint: `at objective ${slo.objective}% the budget is ${formatNumber(errorBudget(slo.objective))}; lower budgetPercent or raise the objective`,
    });
  }
  return problems;
}

/** Label names burnbook cannot use: its own, and UTF-8 names where the Prometheus checked against predates them. */
function labelNameProblems(
  labels: Record<string, string> | string[],
  path: PropertyKey[],
  utf8: boolean,
): ModelProblem[] {
  const names = Array.isArray(labels) ? labels : Object.keys(labels);
  const at = (n: string) => (Array.isArray(labels) ? [...path, labels.indexOf(n)] : path);
  return [
    ...names
      .filter((n) => RESERVED_LABELS.includes(n))
      .map((n) => ({ path: at(n), message: `label "${n}" is set by burnbook and cannot be used here` })),
    ...(utf8
      ? []
      : names.filter((n) => !isLegacyLabelName(n)).map((n) => ({ path: at(n), ...UTF8_NAME_PROBLEM(n) }))),
  ];
}

/**
 * Annotation names are label names to Prometheus: `promtool check rules` refuses any other ("invalid
 * annotation name"), so `validate` does too, at the name.
 */
function annotationNameProblems(
  annotations: Record<string, string>,
  path: PropertyKey[],
  utf8: boolean,
): ModelProblem[] {
  return Object.keys(annotations)
    .filter((n) => n === '' || !(utf8 || isLegacyLabelName(n)))
    .map((n) => ({
      path: [...path, n],
      message: `annotation name "${n}" is not a Prometheus label name, which Prometheus requires of annotation names`,
      hint: utf8
        ? 'give the annotation a name'
        : 'use letters, digits and _ (not starting with a digit), e.g. route_note; UTF-8 names need Prometheus 3',
    }));
}

/**
 * Alert labels and annotations are Go templates to Prometheus; `promtool check rules` refuses what Go's
 * parser refuses, so `validate` does too, at the spot in the value.
 */
function templateProblems(values: Record<string, string>, path: PropertyKey[]): ModelProblem[] {
  return Object.entries(values).flatMap(([key, text]) => {
    const error = text.includes('{{') ? parseTemplate(text) : undefined;
    if (!error) return [];
    return [
      {
        path: [...path, key],
        offset: error.offset,
        message: `Prometheus reads this as a Go template, and it does not parse: ${error.message}`,
        hint: 'use {{ $labels.name }} for a label and {{ $value }} for the value; for literal braces write {{ "{{" }}',
      },
    ];
  });
}

/**
 * A groupBy label that the rules also set would give every group the same value: Prometheus then
 * finds several series with one label set ("same labelset after applying rule labels") and drops them all.
 */
function groupByOverwritten(
  slo: SloSpec,
  fileLabels: Record<string, string>,
  at: (...p: PropertyKey[]) => PropertyKey[],
): ModelProblem[] {
  const setters: Array<[string, Record<string, string>]> = [
    ['alerting.labels', slo.alerting.labels],
    ...Object.entries(slo.alerting.severities).map(([severity, s]): [string, Record<string, string>] => [
      `alerting.severities.${severity}.labels`,
      s.labels,
    ]),
    ["the SLO's labels", slo.labels],
    ['labels', fileLabels],
  ];
  return slo.groupBy.flatMap((label, g) => {
    const where = setters.find(([, set]) => label in set)?.[0];
    if (!where) return [];
    return [
      {
        path: at('groupBy', g),
        message: `groupBy label "${label}" is also set by ${where}, so every ${label} would get the same value and Prometheus would drop the series as duplicates`,
        hint: `remove "${label}" from ${where}, or name the constant label differently`,
      },
    ];
  });
}

/** Severities named under `alerting.severities` that no tier of the SLO has: a typo would silently do nothing. */
function unknownSeverities(
  slo: SloSpec,
  tiers: Tier[],
  at: (...p: PropertyKey[]) => PropertyKey[],
): ModelProblem[] {
  const absent = slo.alerting.absent;
  const known = [
    ...new Set([
      ...tiers.map((t) => t.severity),
      ...(absent === false ? [] : [absent === true ? ABSENT_SEVERITY : (absent.severity ?? ABSENT_SEVERITY)]),
    ]),
  ];
  return Object.keys(slo.alerting.severities)
    .filter((s) => !known.includes(s))
    .map((s) => ({
      path: at('alerting', 'severities'),
      key: s,
      message: `no tier of this SLO has severity "${s}"`,
      hint: `its alerts' severities are ${known.join(', ')}`,
    }));
}

/** Pyrra's name for the absent alert, which burnbook takes when the tiers share one alert name. */
export const SHARED_ABSENT_ALERTNAME = 'SLOMetricAbsent';
const ABSENT_SEVERITY = 'ticket';

/**
 * A `for` longer than the period waits past the budget it guards; bounding it by the period also keeps every
 * duration derived from it (promtool tests' eval times) inside Prometheus's range.
 */
function forLongerThanPeriod(
  what: string,
  forMs: number,
  periodMs: number,
): { message: string; hint: string } {
  return {
    message: `${what}: for ${formatDuration(forMs)} is longer than the period ${formatDuration(periodMs)}, so the alert would wait past the budget it guards`,
    hint: 'use a for far shorter than the tier windows (the defaults on a 30d period are 2m, 15m and 1h)',
  };
}

/**
 * The absent-SLI alert as the spec sets it, with its defaults (see absentSchema); none when switched off
 * or when its severity is disabled (`alerting.severities.<severity>.disabled`).
 */
function absentAlert(
  alerting: SloSpec['alerting'],
  fastest: Tier,
  periodMs: number,
  objective: number,
): { absent?: AbsentAlert } {
  const spec = alerting.absent;
  if (spec === false) return {};
  const given = spec === true ? {} : spec;
  const severity = given.severity ?? ABSENT_SEVERITY;
  if (alerting.severities[severity]?.disabled) return {};
  const forMs =
    given.for === undefined ? absentForMs(fastest, periodMs, objective) : parseDuration(given.for);
  const alertname =
    given.alertname ?? (alerting.alertname === undefined ? undefined : SHARED_ABSENT_ALERTNAME);
  return {
    absent: {
      name: ABSENT_TIER,
      severity,
      forMs: forMs as number,
      ...(alertname === undefined ? {} : { alertname }),
    },
  };
}

/**
 * Turns one file's schema-valid SLOs (with their index in the file) into the model,
 * collecting every semantic problem on the way.
 */
export function buildSlos(
  file: SpecHeader,
  specs: Array<[number, SloSpec]>,
  sourceFile: string,
  lineOf: (path: PropertyKey[]) => number,
  /** Why a `runbook:` path cannot be used (see runbook-file.ts), or undefined. */
  runbookProblem: (path: string) => { message: string; hint: string } | undefined,
  utf8Names = false,
): { slos: Slo[]; problems: ModelProblem[] } {
  const problems: ModelProblem[] = [
    ...labelNameProblems(file.labels, ['labels'], utf8Names),
    ...templateProblems(file.labels, ['labels']),
  ];
  const scrapeMs = parseDuration(file.scrapeInterval) as number;
  if (2 * scrapeMs > BASE_WINDOW_MS) {
    problems.push({
      path: ['scrapeInterval'],
      message: `scrapeInterval ${file.scrapeInterval} leaves fewer than two samples in burnbook's 5m rate window`,
      hint: 'scrape SLI targets at least every 2m30s',
    });
  }
  const slos: Slo[] = [];
  const seenNames = new Map<string, number>();
  const seenAlerts = new Map<string, number>();
  for (const [i, slo] of specs) {
    const at = (...rest: PropertyKey[]) => ['slos', i, ...rest];
    const before = problems.length;
    const duplicate = seenNames.has(slo.name);
    if (duplicate) {
      problems.push({
        path: at('name'),
        message: `duplicate SLO name "${slo.name}" (also slos[${seenNames.get(slo.name)}])`,
      });
    }
    seenNames.set(slo.name, i);
    if (slo.objective <= 1) {
      problems.push({
        path: at('objective'),
        message: `objective: ${slo.objective} looks like a ratio`,
        hint: `objectives are percentages; write ${formatNumber(slo.objective * 100)}`,
      });
    }
    const periodMs = parseDuration(slo.period) as number;
    if (periodMs > MAX_PERIOD_MS) {
      problems.push({
        path: at('period'),
        message: `period ${slo.period} is longer than ${formatDuration(MAX_PERIOD_MS)}, the longest burnbook generates rules for`,
        hint: `burnbook's windows and history probes reach a period back, so the period must fit in Prometheus's retention; use ${formatDuration(MAX_PERIOD_MS)} or less (30d, 90d and 1y are common)`,
      });
    }
    problems.push(
      ...checkSli(slo.sli, { groupBy: slo.groupBy, utf8Names }).map((p) => ({
        ...p,
        path: at('sli', ...p.path),
      })),
    );
    if (slo.minEvents !== undefined && !countsEvents(slo.sli)) {
      problems.push({
        path: at('minEvents'),
        message: `a ${slo.sli.kind} SLI has no event counts, so minEvents cannot be checked`,
        hint: 'remove minEvents, or measure the events themselves with a ratio or query SLI',
      });
    }
    problems.push(...labelNameProblems(slo.groupBy, at('groupBy'), utf8Names));
    problems.push(...labelNameProblems(slo.breakdown, at('breakdown'), utf8Names));
    problems.push(...labelNameProblems(slo.alerting.labels, at('alerting', 'labels'), utf8Names));
    problems.push(...labelNameProblems(slo.labels, at('labels'), utf8Names));
    problems.push(...groupByOverwritten(slo, file.labels, at));
    problems.push(...templateProblems(slo.labels, at('labels')));
    problems.push(...templateProblems(slo.alerting.labels, at('alerting', 'labels')));
    problems.push(
      ...annotationNameProblems(slo.alerting.annotations, at('alerting', 'annotations'), utf8Names),
    );
    problems.push(...templateProblems(slo.alerting.annotations, at('alerting', 'annotations')));
    for (const [severity, extra] of Object.entries(slo.alerting.severities)) {
      const where = at('alerting', 'severities', severity);
      problems.push(...labelNameProblems(extra.labels, [...where, 'labels'], utf8Names));
      problems.push(...templateProblems(extra.labels, [...where, 'labels']));
      problems.push(...templateProblems(extra.annotations, [...where, 'annotations']));
    }

    const absentFor = typeof slo.alerting.absent === 'object' ? slo.alerting.absent.for : undefined;
    if (absentFor !== undefined && (parseDuration(absentFor) as number) > periodMs) {
      problems.push({
        path: at('alerting', 'absent', 'for'),
        ...forLongerThanPeriod('the absent-SLI alert', parseDuration(absentFor) as number, periodMs),
      });
    }

    const tiers: Tier[] = [];
    const defaults = defaultTiers(periodMs, slo.objective);
    slo.alerting.tiers.forEach((ref, t) => {
      const tier = resolveTier(ref, defaults, periodMs, problems, at('alerting', 'tiers', t));
      if (!tier) return;
      if (tiers.some((x) => x.name === tier.name)) {
        problems.push({ path: at('alerting', 'tiers', t), message: `tier "${tier.name}" is listed twice` });
      }
      problems.push(...checkTier(tier, slo, periodMs, scrapeMs, at('alerting', 'tiers', t)));
      tiers.push(tier);
    });
    problems.push(...unknownSeverities(slo, tiers, at));

    const runbook = slo.runbook === undefined ? undefined : runbookProblem(slo.runbook);
    if (runbook) problems.push({ path: at('runbook'), ...runbook });

    const alertName = slo.alerting.name ?? slo.name;
    if (seenAlerts.has(alertName) && !duplicate) {
      problems.push({
        path: at('alerting', 'name'),
        message: `alert name "${alertName}" is also used by slos[${seenAlerts.get(alertName)}], so their alerts would collide`,
        hint: 'set alerting.name to tell them apart',
      });
    }
    seenAlerts.set(alertName, i);
    if (problems.length > before) continue;
    const sorted = [...tiers].sort((a, b) => a.longMs - b.longMs);

    slos.push({
      service: file.service,
      name: slo.name,
      description: slo.description ?? `${slo.name} of ${file.service}`,
      objective: slo.objective,
      periodMs,
      labels: { ...file.labels, ...slo.labels },
      sli: slo.sli,
      groupBy: slo.groupBy,
      breakdown: slo.breakdown,
      ...(slo.minEvents === undefined ? {} : { minEvents: slo.minEvents }),
      alerting: {
        name: alertName,
        ...(slo.alerting.alertname === undefined ? {} : { alertname: slo.alerting.alertname }),
        labels: slo.alerting.labels,
        annotations: slo.alerting.annotations,
        severities: Object.fromEntries(
          Object.entries(slo.alerting.severities).map(([s, { labels, annotations }]) => [
            s,
            { labels, annotations },
          ]),
        ),
        tiers: sorted,
        silent: tiers
          .filter((t) => slo.alerting.disabled || slo.alerting.severities[t.severity]?.disabled)
          .map((t) => t.name),
        ...absentAlert(slo.alerting, sorted[0] as Tier, periodMs, slo.objective),
      },
      ...(slo.runbook === undefined ? {} : { runbook: slo.runbook }),
      scrapeIntervalMs: scrapeMs,
      source: { file: sourceFile, line: lineOf(at('name')) },
    });
  }
  return { slos, problems };
}
