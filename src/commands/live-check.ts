import { checkSlis, type SliCheck, type Verdict } from '../live-check/check.ts';
import { createPrometheusClient, PrometheusError } from '../prometheus/client.ts';
import type { Slo } from '../spec/model.ts';
import type { PrometheusFlags } from './flags.ts';
import { prometheusClientOptions } from './prometheus-options.ts';
import { EXIT, paint, progress, statusLine } from './terminal.ts';

/** `validate --prometheus-url`: every SLI asked of Prometheus (live-check/), printed as a report. */

const STYLE = { ok: 'green', note: 'yellow', broken: 'red' } as const;
const WORD: Record<Verdict, string> = { ok: 'ok    ', note: 'note  ', broken: 'broken' };
// Every SLO that needs a look is printed; past this many, the ones that are fine are only counted.
const LISTED_OK = 50;

function lines(check: SliCheck, all: boolean): string[] {
  const head = `  ${paint(STYLE[check.verdict], WORD[check.verdict])}  ${check.service}/${check.slo}`;
  const shown = all ? check.findings : check.findings.filter((f) => f.verdict !== 'ok');
  return [
    head,
    ...shown.flatMap((f) => [
      `            ${f.verdict === 'ok' ? '' : `${paint(STYLE[f.verdict], f.verdict)} `}${f.subject}: ${f.message}`,
      ...(f.hint ? [`              hint: ${f.hint}`] : []),
    ]),
  ];
}

/**
 * Asks Prometheus about each SLO's SLI and prints what it found. Sets exit code 1 when an SLI reads
 * nothing (or an impossible ratio), 3 when Prometheus cannot be reached or answer; 2 for bad flags.
 */
export async function liveCheckCommand(slos: readonly Slo[], flags: PrometheusFlags): Promise<void> {
  const options = prometheusClientOptions(flags);
  if (typeof options === 'string') {
    console.error(options);
    process.exitCode = EXIT.usage;
    return;
  }
  const client = createPrometheusClient(options);
  progress(`Checking ${slos.length} SLIs against ${client.url} …`);
  let done = 0;
  const status = statusLine(() => `  ${done} of ${slos.length} SLIs checked`);
  let checks: SliCheck[];
  try {
    await client.buildInfo();
    checks = await checkSlis(client, slos, (n) => {
      done = n;
    });
  } catch (error) {
    status.done();
    if (!(error instanceof PrometheusError)) throw error;
    console.error(paint('red', `Cannot check the SLIs: ${error.message}`));
    process.exitCode = EXIT.environment;
    return;
  }
  status.done();
  let listedOk = 0;
  for (const check of checks) {
    const fine = check.verdict === 'ok';
    if (fine && ++listedOk > LISTED_OK) continue;
    console.log(lines(check, !fine || slos.length <= LISTED_OK).join('\n'));
  }
  if (listedOk > LISTED_OK) console.log(`  … and ${listedOk - LISTED_OK} more SLIs that read their series`);
  const broken = checks.filter((c) => c.verdict === 'broken').length;
  if (broken) {
    console.log(
      paint(
        'red',
        `${broken} of ${checks.length} SLIs are broken: they read no data, or an error ratio above 1.`,
      ),
    );
    process.exitCode = EXIT.invalid;
  } else {
    console.log(`All ${checks.length} SLIs read their series in ${client.url}.`);
  }
}
