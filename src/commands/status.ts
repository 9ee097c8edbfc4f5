import { byUrgency } from '../evaluator/evaluate.ts';
import { budgetLevel, burnText, dataText, exhaustionText, percentText } from '../evaluator/format.ts';
import type { GroupStatus, SloStatus } from '../evaluator/report.ts';
import { evaluateNow } from '../evaluator/run.ts';
import { parseDuration } from '../policy/duration.ts';
import { createPrometheusClient, PrometheusError } from '../prometheus/client.ts';
import type { FlagsOf } from './flags.ts';
import { prometheusClientOptions } from './prometheus-options.ts';
import { type Cell, table } from './table.ts';
import { EXIT, paint, progress } from './terminal.ts';
import { loadOrReport } from './validate.ts';

// A grouped SLO with hundreds of tenants must not bury the others: the most urgent few, then a count.
const GROUPS_SHOWN = 5;

function burns(status: GroupStatus): string {
  return Object.entries(status.burnRates)
    .map(([w, rate]) => `${w} ${burnText(rate) ?? '?'}`)
    .join('  ');
}

function burning(status: GroupStatus): Cell {
  if (status.broken) return { text: 'broken SLI', style: 'red' };
  if (Object.values(status.errorRatios).every((r) => r === null)) return { text: 'no data', style: 'yellow' };
  const hot = status.tiers.filter((t) => t.burning);
  if (hot.length) return { text: hot.map((t) => `${t.tier} (${t.severity})`).join(', '), style: 'red' };
  return status.tiers.some((t) => t.burning === null)
    ? { text: '?', style: 'yellow' }
    : { text: '-', style: 'green' };
}

function exhaustion(status: GroupStatus): string {
  return exhaustionText(status) ?? '?';
}

const BUDGET_STYLE = { unknown: 'yellow', spent: 'red', low: 'yellow', ok: 'green' } as const;

function budgetCell(status: GroupStatus, periodMs: number): Cell {
  const left = status.budgetRemaining;
  const basis = dataText(status, periodMs);
  const text = `${percentText(left) ?? '?'}${basis && left !== null ? ` (${basis})` : ''}`;
  return { text, style: BUDGET_STYLE[budgetLevel(left)] };
}

function row(name: string, objective: string, status: GroupStatus, source: string, periodMs: number): Cell[] {
  return [
    name,
    objective,
    budgetCell(status, periodMs),
    burning(status),
    exhaustion(status),
    source,
    burns(status),
  ];
}

function groupName(labels: Record<string, string>): string {
  return `  ${Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;
}

function rows(status: SloStatus): Cell[][] {
  const name = `${status.service}/${status.slo}`;
  const periodMs = parseDuration(status.period) as number;
  const objective = `${status.objective}%`;
  const grouped = status.groups.some((g) => Object.keys(g.labels).length);
  if (!grouped) return [row(name, objective, status, status.source, periodMs)];
  const shown = byUrgency(status.groups).slice(0, GROUPS_SHOWN);
  const hidden = status.groups.length - shown.length;
  return [
    [name, objective, '', '', '', status.source, `${status.groups.length} groups, most urgent first`],
    ...shown.map((g) => row(groupName(g.labels), '', g, '', periodMs)),
    ...(hidden > 0 ? [[`  … ${hidden} more`]] : []),
  ];
}

/** Why each broken SLI is broken: the SLO's, or each group's, one line each. */
function brokenLines(status: SloStatus): string[] {
  const name = `${status.service}/${status.slo}`;
  const grouped = status.groups.filter((g) => g.broken && Object.keys(g.labels).length);
  if (!grouped.length) return status.broken ? [`${name}: ${status.broken.message}`] : [];
  return grouped
    .slice(0, GROUPS_SHOWN)
    .map((g) => `${name} ${groupName(g.labels).trim()}: ${g.broken?.message}`);
}

/**
 * `burnbook status`: every SLO evaluated against Prometheus now. Exit 0 when every number is known,
 * 1 when an SLI is broken (it reads no data, or an error ratio above 1: said below the table, never
 * shown as a number), 3 when Prometheus could not answer all of it (what is known is still printed).
 */
export async function statusCommand(paths: string[], opts: FlagsOf<'status'>): Promise<void> {
  const clientOptions = prometheusClientOptions(opts);
  if (typeof clientOptions === 'string') {
    console.error(clientOptions);
    process.exitCode = EXIT.usage;
    return;
  }
  const loaded = loadOrReport(paths, { runbooksDir: opts.runbooks });
  if (!loaded) return;
  const client = createPrometheusClient(clientOptions);
  let evaluation: Awaited<ReturnType<typeof evaluateNow>>;
  try {
    evaluation = await evaluateNow(client, loaded.slos);
  } catch (error) {
    if (!(error instanceof PrometheusError)) throw error;
    console.error(paint('red', `Cannot evaluate SLOs: ${error.message}`));
    process.exitCode = EXIT.environment;
    return;
  }
  if (opts.json) {
    console.log(JSON.stringify(evaluation.slos, null, 2));
  } else {
    const header = [
      'SLO',
      'OBJECTIVE',
      'BUDGET LEFT',
      'BURNING',
      'EXHAUSTED IN',
      'SOURCE',
      'BURN RATE BY WINDOW',
    ];
    console.log(table(header, evaluation.slos.flatMap(rows)));
  }
  progress(
    `Evaluated ${evaluation.slos.length} SLOs against ${client.url} with ${evaluation.queries} queries ` +
      `in ${Math.round(evaluation.durationMs)} ms.`,
  );
  const broken = evaluation.slos.flatMap(brokenLines);
  for (const line of broken) console.error(paint('red', `broken SLI ${line}`));
  for (const message of evaluation.errors) console.error(paint('red', message));
  if (evaluation.errors.length) process.exitCode = EXIT.environment;
  else if (broken.length) process.exitCode = EXIT.invalid;
}
