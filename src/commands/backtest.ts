import { defaultStepMs } from '../backtest/plan.ts';
import { type Backtest, backtest } from '../backtest/run.ts';
import { humanDuration } from '../policy/duration.ts';
import { formatNumber } from '../policy/number.ts';
import { createPrometheusClient, PrometheusError } from '../prometheus/client.ts';
import { durationFlag } from './duration-flag.ts';
import type { FlagsOf } from './flags.ts';
import { prometheusClientOptions } from './prometheus-options.ts';
import { type Cell, table } from './table.ts';
import { EXIT, paint, progress } from './terminal.ts';
import { loadOrReport } from './validate.ts';

// A tier that fired a hundred times needs tuning, not a hundred delays on one line.
const DELAYS_SHOWN = 8;

function delays(tier: Backtest['slos'][number]['tiers'][number]): string {
  const shown = tier.episodes
    .slice(0, DELAYS_SHOWN)
    .map((e) => `${e.onsetBeforeRange ? '≥' : ''}${humanDuration(e.detectionDelayMs)}`);
  const more = tier.episodes.length - shown.length;
  return [...shown, ...(more > 0 ? [`… ${more} more`] : [])].join(', ') || '-';
}

function rows(result: Backtest): Cell[][] {
  return result.slos.flatMap((slo) => {
    const ratio =
      slo.errorRatio === null ? 'no data' : `error ratio ${formatNumber(slo.errorRatio * 100, 3)}%`;
    const burn = slo.burnRate === null ? '' : ` = ${formatNumber(slo.burnRate, 3)}× budget`;
    const head: Cell[] = [
      `${slo.service}/${slo.slo}`,
      `${slo.objective}%`,
      '',
      '',
      `${ratio}${burn} (${slo.source})`,
    ];
    return [
      head,
      ...slo.tiers.map((t): Cell[] => [
        `  ${t.tier} (${t.severity})`,
        `> ${formatNumber(t.threshold)}`,
        t.fired ? { text: String(t.fired), style: 'red' } : { text: '0', style: 'green' },
        t.firingMs ? humanDuration(t.firingMs) : '-',
        delays(t),
      ]),
    ];
  });
}

/**
 * `burnbook backtest`: how each tier would have behaved over the last days, from Prometheus's
 * history, so objectives and tiers can be tuned before they page anyone.
 */
export async function backtestCommand(paths: string[], opts: FlagsOf<'backtest'>): Promise<void> {
  const clientOptions = prometheusClientOptions(opts);
  const days = Number(opts.days);
  const stepMs =
    opts.step === undefined ? defaultStepMs(days) : durationFlag('--step', opts.step, '1m or 5m');
  const usage =
    typeof clientOptions === 'string'
      ? clientOptions
      : !(days > 0)
        ? `--days ${JSON.stringify(opts.days)} is not a positive number of days`
        : typeof stepMs === 'string'
          ? stepMs
          : undefined;
  if (usage || typeof clientOptions === 'string' || typeof stepMs === 'string') {
    console.error(usage);
    process.exitCode = EXIT.usage;
    return;
  }
  const loaded = loadOrReport(paths, { runbooksDir: opts.runbooks });
  if (!loaded) return;
  const client = createPrometheusClient(clientOptions);
  progress(
    `Backtesting ${loaded.slos.length} SLOs over ${days} days at ${humanDuration(stepMs)} steps against ${client.url}`,
  );
  let result: Backtest;
  try {
    result = await backtest(client, loaded.slos, {
      days,
      stepMs,
      onQuery: (done, total) => progress(`  query ${done + 1}/${total}…`),
    });
  } catch (error) {
    if (!(error instanceof PrometheusError)) throw error;
    console.error(paint('red', `Cannot backtest: ${error.message}`));
    if (error.kind === 'timeout')
      console.error('Try fewer --days, a longer --step or a longer --prometheus-timeout.');
    process.exitCode = EXIT.environment;
    return;
  }
  if (opts.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    table(['SLO / TIER', 'FIRES ABOVE', 'FIRED', 'FIRING FOR', 'DETECTION DELAY PER EPISODE'], rows(result)),
  );
  progress(
    `From ${result.from} to ${result.to} at ${humanDuration(stepMs)} steps, ${result.queries} queries. ` +
      "Detection delay: from the first step of the run in which the tier's short window stayed above its " +
      'threshold up to the firing, to the step it fired (≥: the run began before the range).',
  );
}
