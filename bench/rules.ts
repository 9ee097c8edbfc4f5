/**
 * Rule evaluation cost in a real Prometheus: burnbook's generated rules against the straightforward ones
 * that compute every window from the raw series, on the same 30 days of backfilled history, in the same
 * Prometheus, one after the other. Also checks that both fire the same alerts on that data.
 *
 * History: per SLO, `http_requests_total` by instance, route and code, backfilled with promtool, plus
 * burnbook's two 5m recordings for the same 30 days (recording rules only have samples from when Prometheus
 * starts); a small exporter continues the counters live while the rules run.
 *
 * Options: --slos 20  --series 48 (--full: 200, the size; about 45 minutes)  --step 15 (seconds)
 * --days 30  --interval 60 (evaluation, seconds)  --cycles 3  --slow-interval 150  --max-samples N
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { errorRatioRecord, RECORDS, windowsOf } from '../src/conventions/names.ts';
import { SiteUrls } from '../src/conventions/urls.ts';
import { renderedFiles } from '../src/outputs/output.ts';
import type { AlertingRule } from '../src/outputs/rules/alerting.ts';
import { type RuleGroup, ruleGroup } from '../src/outputs/rules/groups.ts';
import { rulesOutput } from '../src/outputs/rules/output.ts';
import type { RecordingRule } from '../src/outputs/rules/recording.ts';
import { errorBudget } from '../src/policy/burn.ts';
import { formatDuration, parseDuration } from '../src/policy/duration.ts';
import { SLI_KINDS } from '../src/sli/index.ts';
import { loadSpecs } from '../src/spec/load.ts';
import type { Slo } from '../src/spec/model.ts';
import { freePort } from '../test/support/ports.ts';
import { requireTool } from '../test/support/tools.ts';
import {
  type BenchPrometheus,
  blocks,
  metrics,
  overlapping,
  processCpu,
  query,
  type RulesApiGroup,
  ruleGroups,
  startPrometheus,
} from './prometheus.ts';
import {
  type BenchSlo,
  benchSlos,
  Counters,
  EXPECTED_TIERS,
  specYaml,
  type Workload,
  writeOpenMetrics,
} from './rules-data.ts';
import {
  count,
  flags,
  median,
  ms,
  numberFlag,
  onCleanup,
  percent,
  printTable,
  progress,
  sleep,
  tempDir,
  times,
} from './support.ts';

const DAY_MS = 86_400_000;
// Block ranges promtool can write (2h × 3^n); the benchmark picks one that holds all history in one block,
// because promtool reads its whole input once per block.
const BLOCK_HOURS = [1458, 4374, 13122, 39366];
const ALERT_OPTIONS = { urls: new SiteUrls('http://127.0.0.1:8080') };

type Rule = RecordingRule | AlertingRule;
const isRecording = (rule: Rule): rule is RecordingRule => 'record' in rule;

/**
 * The rules most hand-written setups and Sloth's non-optimized mode use: every window from the raw series,
 * `sum(rate(errors[W])) / sum(rate(total[W]))`, and budget left as 1 − period ratio ÷ budget. Same alerts
 * (names, labels, thresholds, `for`) as burnbook's, reading these ratios instead; record names start with
 * `baseline:` so the two sets never share a series. burnbook's own machinery (the raw and recorded window
 * rates, when its recordings began, how much data the budget rests on) has no counterpart here.
 */
export function baselineGroup(slo: Slo): RuleGroup {
  const kind = SLI_KINDS[slo.sli.kind] as (typeof SLI_KINDS)['ratio'];
  const spec = slo.sli.spec as Parameters<typeof kind.errors>[0];
  const burnbook = ruleGroup(slo, ALERT_OPTIONS);
  const rename = (text: string) => text.replace(/\bslo:/g, 'baseline:');
  const ratios = new Map(
    windowsOf(slo).map((w) => {
      const window = formatDuration(w);
      const expr = `${kind.errors(spec, window, slo.groupBy)} / ${kind.total(spec, window, slo.groupBy)}`;
      return [errorRatioRecord(w), expr];
    }),
  );
  const period = `baseline:${errorRatioRecord(slo.periodMs).replace(/^slo:/, '')}{slo_service="${slo.service}", slo="${slo.name}"}`;
  const kept: string[] = [
    RECORDS.objective,
    RECORDS.errorBudget,
    RECORDS.budgetRemaining,
    RECORDS.currentBurnRate,
    RECORDS.periodBurnRate,
  ];
  const rules = burnbook.rules
    .filter((r) => !isRecording(r) || ratios.has(r.record) || kept.includes(r.record))
    .map((r): Rule => {
      if (!isRecording(r)) return { ...r, expr: rename(r.expr) };
      const expr =
        r.record === RECORDS.budgetRemaining
          ? `1 - ${period} / ${errorBudget(slo.objective)}`
          : (ratios.get(r.record) ?? rename(r.expr));
      return { ...r, record: rename(r.record), expr };
    });
  return { name: burnbook.name.replace(/^burnbook-/, 'baseline-'), rules };
}

/** The longest range a rule reads, directly or through the recording it reads. */
function ruleWindowMs(rule: { name: string; query: string }): number {
  const ranges = [...rule.query.matchAll(/\[(\w+)\]/g)].map((m) => parseDuration(m[1] as string) ?? 0);
  const recorded = [...`${rule.name} ${rule.query}`.matchAll(/ratio_rate(\w+)/g)].map(
    (m) => parseDuration(m[1] as string) ?? 0,
  );
  return Math.max(0, ...ranges, ...(rule.name.includes('period') ? recorded : []));
}

interface PhaseResult {
  /** Per group: the rule manager's duration of each measured evaluation, in seconds. */
  groupSeconds: Map<string, number[]>;
  /** Per `group/rule`: the rule's own duration of each measured evaluation. */
  ruleSeconds: Map<string, number[]>;
  /** Per group, when its last measured evaluation started (Unix seconds). */
  lastEvaluation: Map<string, number>;
  cpuSeconds: number;
  wallSeconds: number;
  missed: number;
  failures: string[];
  alerts: Set<string>;
  groups: RulesApiGroup[];
}

/**
 * Loads one rule set and watches the rule manager until every group has run `cycles` times after a
 * first, warm-up evaluation.
 */
async function phase(
  prometheus: BenchPrometheus,
  label: string,
  files: string[],
  groupCount: number,
  cycles: number,
  intervalSeconds: number,
): Promise<PhaseResult> {
  progress(
    `${label}: loading ${files.length} rule files, waiting for ${cycles + 1} evaluations of each group`,
  );
  await prometheus.loadRules(files);
  const seen = new Map<string, string[]>();
  const groupSeconds = new Map<string, number[]>();
  const ruleSeconds = new Map<string, number[]>();
  const lastEvaluation = new Map<string, number>();
  let cpuStart = Number.NaN;
  let wallStart = 0;
  let groups: RulesApiGroup[] = [];
  const deadline = Date.now() + (cycles + 3) * intervalSeconds * 1000 + 10 * 60_000;
  for (;;) {
    groups = (await ruleGroups(prometheus.url)).filter((g) => files.includes(g.file));
    for (const g of groups) {
      if (g.lastEvaluation.startsWith('0001')) continue;
      const evaluations = seen.get(g.name) ?? [];
      if (evaluations.includes(g.lastEvaluation)) continue;
      evaluations.push(g.lastEvaluation);
      seen.set(g.name, evaluations);
      // The first evaluation after a reload creates every output series: not what a steady cycle costs.
      if (evaluations.length === 1 || evaluations.length > cycles + 1) continue;
      groupSeconds.set(g.name, [...(groupSeconds.get(g.name) ?? []), g.evaluationTime]);
      for (const r of g.rules) {
        const key = `${g.name}/${r.name}`;
        ruleSeconds.set(key, [...(ruleSeconds.get(key) ?? []), r.evaluationTime]);
      }
      lastEvaluation.set(g.name, Date.parse(g.lastEvaluation) / 1000);
    }
    // CPU is measured from the moment every group is past its warm-up evaluation.
    if (
      Number.isNaN(cpuStart) &&
      seen.size === groupCount &&
      [...seen.values()].every((e) => e.length >= 1)
    ) {
      cpuStart = await processCpu(prometheus.url);
      wallStart = Date.now();
    }
    const done = [...groupSeconds.values()].filter((d) => d.length >= cycles).length;
    if (groupSeconds.size === groupCount && done === groupCount) break;
    if (Date.now() > deadline)
      throw new Error(`${label}: only ${done} of ${groupCount} groups ran ${cycles} times`);
    await sleep(1000);
  }
  const cpuSeconds = (await processCpu(prometheus.url)) - cpuStart;
  const wallSeconds = (Date.now() - wallStart) / 1000;
  const samples = await metrics(prometheus.url);
  const ours = (s: { labels: Record<string, string> }) =>
    files.some((f) => s.labels.rule_group?.startsWith(`${f};`));
  const missed = samples
    .filter((s) => s.name === 'prometheus_rule_group_iterations_missed_total' && ours(s))
    .reduce((sum, s) => sum + s.value, 0);
  // The gauge the issue names; the rules API reports the same number per group, with each rule's share.
  const gaugeSum = samples
    .filter((s) => s.name === 'prometheus_rule_group_last_duration_seconds' && ours(s))
    .reduce((sum, s) => sum + s.value, 0);
  progress(`${label}: Σ prometheus_rule_group_last_duration_seconds now ${ms(gaugeSum)}`);
  const failures = groups.flatMap((g) =>
    g.rules.filter((r) => r.health !== 'ok').map((r) => `${g.name}/${r.name}: ${r.lastError ?? r.health}`),
  );
  const alerts = new Set(
    groups.flatMap((g) =>
      g.rules.flatMap((r) =>
        (r.alerts ?? []).map((a) => `${a.labels.slo_service}/${a.labels.slo_tier} (${a.labels.alertname})`),
      ),
    ),
  );
  return {
    groupSeconds,
    ruleSeconds,
    lastEvaluation,
    cpuSeconds,
    wallSeconds,
    missed,
    failures,
    alerts,
    groups,
  };
}

interface RuleCost {
  group: string;
  rule: string;
  windowMs: number;
  samples: number;
  peakSamples: number;
  engineSeconds: number;
  liveSeconds: number;
}

/** Each rule's expression once more, alone, on a quiet Prometheus: samples read and engine time. */
async function ruleCosts(url: string, result: PhaseResult): Promise<RuleCost[]> {
  const costs: RuleCost[] = [];
  for (const g of result.groups) {
    const time = result.lastEvaluation.get(g.name) as number;
    for (const r of g.rules) {
      const { stats } = await query(url, r.query, time);
      costs.push({
        group: g.name,
        rule: r.name,
        windowMs: ruleWindowMs(r),
        samples: stats.samples,
        peakSamples: stats.peakSamples,
        engineSeconds: stats.evalSeconds,
        liveSeconds: median(result.ruleSeconds.get(`${g.name}/${r.name}`) ?? []),
      });
    }
  }
  return costs;
}

function writeRuleFiles(dir: string, files: Array<{ path: string; content: string }>): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map((f) => {
    const path = join(dir, f.path);
    writeFileSync(path, f.content);
    return path;
  });
}

function pickBlockHours(fromMs: number, toMs: number): number {
  const fits = BLOCK_HOURS.find(
    (h) => Math.floor(fromMs / (h * 3_600_000)) === Math.floor(toMs / (h * 3_600_000)),
  );
  return fits ?? (BLOCK_HOURS.at(-1) as number);
}

async function promtoolBackfill(input: string, dataDir: string, blockHours: number): Promise<void> {
  const promtool = requireTool('/usr/bin/promtool');
  try {
    await promisify(execFile)(promtool, [
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      '--quiet',
      `--max-block-duration=${blockHours}h`,
      input,
      dataDir,
    ]);
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`promtool could not backfill ${input}:\n${stderr || stdout || String(error)}`);
  } finally {
    rmSync(input, { force: true });
  }
}

/**
 * Writes the history SLO by SLO: while promtool turns one file into a block, the next file is generated,
 * so at most two files (a few GB at full size) are on disk. promtool leaves one block per SLO, all
 * overlapping in time; Prometheus merges them once it runs.
 */
async function backfill(counters: Counters, dataDir: string, dir: string): Promise<number> {
  const hours = pickBlockHours(counters.origin * 1000, counters.now * 1000);
  let pending: Promise<void> = Promise.resolve();
  let samples = 0;
  for (let i = 0; i < counters.slos.length; i++) {
    const file = join(dir, `history-${i}.om`);
    samples += writeOpenMetrics(file, counters, [i], counters.origin, counters.now);
    await pending;
    progress(
      `  backfill: SLO ${i + 1}/${counters.slos.length} written, promtool running (${count(samples)} samples so far)`,
    );
    pending = promtoolBackfill(file, dataDir, hours);
  }
  await pending;
  return samples;
}

/** Serves the counters as they go on after the backfill, so the 5m windows stay full while rules run. */
async function startExporter(counters: Counters, from: number): Promise<string> {
  let lastStep = from;
  const server = createServer((_request, response) => {
    const { text, step } = counters.exposition(Date.now() / 1000, lastStep);
    lastStep = step;
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(text);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `127.0.0.1:${port}`;
}

async function waitForMergedBlocks(dataDir: string): Promise<void> {
  const deadline = Date.now() + 30 * 60_000;
  let announced = false;
  for (;;) {
    const list = blocks(dataDir);
    if (!overlapping(list)) return;
    if (!announced)
      progress(`Prometheus is merging ${list.length} overlapping blocks (runs about a minute after start)`);
    announced = true;
    if (Date.now() > deadline)
      throw new Error('Prometheus did not merge the backfilled blocks within 30 minutes');
    await sleep(2000);
  }
}

/** The 5m recordings backfilled by the benchmark should be what Prometheus itself computes from the raw series. */
async function checkRecordings(url: string, slos: BenchSlo[], time: number): Promise<number> {
  let worst = 0;
  for (const slo of slos.slice(0, 5)) {
    const raw = await query(url, `sum(rate(http_requests_total{job="${slo.service}"}[5m]))`, time);
    const recorded = await query(url, `${RECORDS.total}{slo_service="${slo.service}"}`, time);
    const a = Number(raw.result[0]?.value[1]);
    const b = Number(recorded.result[0]?.value[1]);
    worst = Math.max(worst, Math.abs(a - b) / Math.max(a, 1e-9));
  }
  return worst;
}

interface RatioDiff {
  windowMs: number;
  /** The SLO where the two differ most. */
  service: string;
  /** Largest |burnbook − straightforward| error ratio, in units of the SLO's error budget (burn rate). */
  burnDiff: number;
}

/** Both rule sets' error ratio for every SLO and window at the same instant, as burn rates. */
async function compareRatios(
  url: string,
  slos: Slo[],
  burnbook: RuleGroup[],
  baseline: RuleGroup[],
  at: Map<string, number>,
): Promise<RatioDiff[]> {
  const worst = new Map<number, RatioDiff>();
  for (const [i, slo] of slos.entries()) {
    const b = burnbook[i] as RuleGroup;
    const time = at.get(b.name) as number;
    for (const w of windowsOf(slo)) {
      const find = (g: RuleGroup, prefix: string) =>
        g.rules.find((r) => isRecording(r) && r.record === errorRatioRecord(w).replace(/^slo:/, prefix))
          ?.expr;
      const ours = await query(url, find(b, 'slo:') as string, time);
      const theirs = await query(url, find(baseline[i] as RuleGroup, 'baseline:') as string, time);
      const diff =
        Math.abs(Number(ours.result[0]?.value[1]) - Number(theirs.result[0]?.value[1])) /
        errorBudget(slo.objective);
      const burnDiff = Number.isNaN(diff) ? Infinity : diff;
      if (burnDiff >= (worst.get(w)?.burnDiff ?? 0))
        worst.set(w, { windowMs: w, service: slo.service, burnDiff });
    }
  }
  return [...worst.values()];
}

interface Summary {
  label: string;
  rules: number;
  liveSecondsPerCycle: number;
  slowestGroup: number;
  samplesPerCycle: number;
  engineSecondsPerCycle: number;
  cpuPerMinute: number;
  missed: number;
}

function summarize(label: string, result: PhaseResult, costs: RuleCost[], idleCpuPerMinute: number): Summary {
  const medians = [...result.groupSeconds.values()].map(median);
  return {
    label,
    rules: costs.length,
    liveSecondsPerCycle: medians.reduce((a, b) => a + b, 0),
    slowestGroup: Math.max(...medians),
    samplesPerCycle: costs.reduce((a, c) => a + c.samples, 0),
    engineSecondsPerCycle: costs.reduce((a, c) => a + c.engineSeconds, 0),
    cpuPerMinute: Math.max(0, (result.cpuSeconds / result.wallSeconds) * 60 - idleCpuPerMinute),
    missed: result.missed,
  };
}

/** Cost per minute if the rules reading windows of a day or more ran every `slowSeconds` instead. */
function slowGroupSaving(costs: RuleCost[], intervalSeconds: number, slowSeconds: number) {
  const long = costs.filter((c) => c.windowMs >= DAY_MS);
  const sum = (list: RuleCost[], key: 'liveSeconds' | 'samples') => list.reduce((a, c) => a + c[key], 0);
  const share = (key: 'liveSeconds' | 'samples') => sum(long, key) / sum(costs, key);
  const keep = intervalSeconds / slowSeconds;
  return {
    timeShare: share('liveSeconds'),
    sampleShare: share('samples'),
    timeSaved: share('liveSeconds') * (1 - keep),
    samplesSaved: share('samples') * (1 - keep),
    periodSamples: sum(
      long.filter((c) => c.rule.endsWith(`rate${formatDuration(30 * DAY_MS)}`)),
      'samples',
    ),
    periodSeconds: sum(
      long.filter((c) => c.rule.endsWith(`rate${formatDuration(30 * DAY_MS)}`)),
      'liveSeconds',
    ),
  };
}

export async function rulesBench(args: string[]): Promise<void> {
  const options = flags(args);
  const full = options.has('full');
  const workload: Workload = {
    slos: numberFlag(options, 'slos', 20),
    seriesPerSlo: numberFlag(options, 'series', full ? 200 : 48),
    stepSeconds: numberFlag(options, 'step', 15),
    days: numberFlag(options, 'days', 30),
    intervalSeconds: numberFlag(options, 'interval', 60),
  };
  const cycles = numberFlag(options, 'cycles', 3);
  // Not 5m: an alert reads those recordings through Prometheus' 5m lookback, and a sample recorded every 5m
  // is missing whenever the slow group runs a little late, which resets the alert's `for`.
  const slowSeconds = numberFlag(options, 'slow-interval', 150);
  const extraArgs = options.has('max-samples') ? [`--query.max-samples=${options.get('max-samples')}`] : [];
  if (300 % workload.stepSeconds || workload.intervalSeconds % workload.stepSeconds) {
    throw new Error('--step must divide 300 and --interval');
  }
  const samplesPerSeries = (workload.days * 86_400 + 3600) / workload.stepSeconds;
  progress(
    `rules: ${workload.slos} SLOs × ${workload.seriesPerSlo} series, ${workload.days} days at ${workload.stepSeconds}s ` +
      `(${count(workload.slos * workload.seriesPerSlo * samplesPerSeries)} raw samples), rules every ${workload.intervalSeconds}s`,
  );

  const dir = tempDir('rules');
  const dataDir = join(dir, 'data');
  const bench = benchSlos(workload);
  mkdirSync(join(dir, 'specs'));
  for (const slo of bench)
    writeFileSync(join(dir, 'specs', `${slo.service}.yaml`), specYaml(slo, workload.stepSeconds));
  const loaded = loadSpecs([join(dir, 'specs')]);
  if (loaded.errors.length) throw new Error(`bench specs are invalid: ${JSON.stringify(loaded.errors[0])}`);
  const slos = loaded.slos;
  const burnbookGroups = slos.map((slo) => ruleGroup(slo, ALERT_OPTIONS));
  for (const [i, group] of burnbookGroups.entries()) {
    const errors = group.rules.find((r) => isRecording(r) && r.record === RECORDS.errors) as RecordingRule;
    (bench[i] as BenchSlo).recordLabels = errors.labels;
  }
  const baselineGroups = slos.map(baselineGroup);
  const burnbookFiles = writeRuleFiles(
    join(dir, 'burnbook'),
    renderedFiles(rulesOutput({ dir: '.', alerts: ALERT_OPTIONS }), slos),
  );
  const baselineFiles = writeRuleFiles(
    join(dir, 'baseline'),
    slos.map((slo, i) => ({
      path: `${slo.service}.yaml`,
      content: stringify({ groups: [baselineGroups[i]] }),
    })),
  );

  // History ends on an evaluation boundary, so the backfilled recordings sit where Prometheus would put them.
  const now = Math.floor(Date.now() / 1000 / workload.intervalSeconds) * workload.intervalSeconds;
  const counters = new Counters(bench, workload, now, 6 * 3600);
  const started = Date.now();
  const samples = await backfill(counters, dataDir, dir);
  const backfillSeconds = (Date.now() - started) / 1000;
  // The minutes the backfill took are history too by now; a small second backfill closes the gap.
  const caughtUp = Math.floor(Date.now() / 1000 / workload.stepSeconds) * workload.stepSeconds;
  const gapFile = join(dir, 'gap.om');
  writeOpenMetrics(
    gapFile,
    counters,
    bench.map((s) => s.index),
    now,
    caughtUp,
  );
  await promtoolBackfill(gapFile, dataDir, 2);
  progress(`backfilled ${count(samples)} samples in ${backfillSeconds.toFixed(0)} s`);

  const exporter = await startExporter(counters, caughtUp);
  const prometheus = await startPrometheus(
    dir,
    dataDir,
    {
      scrapeTarget: exporter,
      scrapeIntervalSeconds: workload.stepSeconds,
      evaluationIntervalSeconds: workload.intervalSeconds,
      // From the first moment, so burnbook's live recordings continue the backfilled ones without a gap.
      ruleFiles: burnbookFiles,
    },
    extraArgs,
  );
  progress(`Prometheus ${prometheus.url} (pid ${prometheus.pid}) on ${dataDir}`);
  await waitForMergedBlocks(dataDir);
  const recordingError = await checkRecordings(prometheus.url, bench, now - 86_400);

  const ours = await phase(
    prometheus,
    'burnbook',
    burnbookFiles,
    slos.length,
    cycles,
    workload.intervalSeconds,
  );
  const theirs = await phase(
    prometheus,
    'straightforward',
    baselineFiles,
    slos.length,
    cycles,
    workload.intervalSeconds,
  );
  // What Prometheus costs with no rules (scraping the exporter), subtracted from each phase's CPU.
  await prometheus.loadRules([]);
  await sleep(workload.intervalSeconds * 1000);
  const idleStart = await processCpu(prometheus.url);
  await sleep(workload.intervalSeconds * 1000);
  const idleCpuPerMinute = (((await processCpu(prometheus.url)) - idleStart) / workload.intervalSeconds) * 60;
  progress('measuring every rule expression alone (samples read, engine time)');
  const ourCosts = await ruleCosts(prometheus.url, ours);
  const theirCosts = await ruleCosts(prometheus.url, theirs);
  const diffs = await compareRatios(
    prometheus.url,
    slos,
    burnbookGroups,
    baselineGroups,
    ours.lastEvaluation,
  );
  await prometheus.stop();

  const a = summarize('burnbook', ours, ourCosts, idleCpuPerMinute);
  const b = summarize('straightforward', theirs, theirCosts, idleCpuPerMinute);
  const row = (s: Summary) => [
    s.label,
    String(s.rules),
    ms(s.liveSecondsPerCycle),
    ms(s.slowestGroup),
    count(s.samplesPerCycle),
    ms(s.engineSecondsPerCycle),
    s.cpuPerMinute.toFixed(2),
    String(s.missed),
  ];
  printTable({
    title: `Rule evaluation cost per cycle (${workload.slos} SLOs × ${workload.seriesPerSlo} series, ${workload.days}d at ${workload.stepSeconds}s, every ${workload.intervalSeconds}s)`,
    columns: [
      'rules',
      'count',
      'rule manager time',
      'slowest group',
      'samples read',
      'engine time alone',
      'CPU s/min',
      'missed',
    ],
    rows: [
      row(a),
      row(b),
      [
        'straightforward ÷ burnbook',
        '',
        times(b.liveSecondsPerCycle, a.liveSecondsPerCycle),
        times(b.slowestGroup, a.slowestGroup),
        times(b.samplesPerCycle, a.samplesPerCycle),
        times(b.engineSecondsPerCycle, a.engineSecondsPerCycle),
        times(b.cpuPerMinute, a.cpuPerMinute),
        '',
      ],
    ],
    notes: [
      `rule manager time: Σ over groups of the median prometheus_rule_group_last_duration_seconds over ${cycles} evaluations after a warm-up`,
      'samples read / engine time alone: each rule expression as an instant query with stats=all on a quiet Prometheus',
      `CPU s/min: Prometheus process CPU while the rules ran, minus ${idleCpuPerMinute.toFixed(2)} s/min with no rules`,
      `target: burnbook ≥ 10× cheaper per evaluation: ${b.liveSecondsPerCycle >= 10 * a.liveSecondsPerCycle && b.samplesPerCycle >= 10 * a.samplesPerCycle ? 'met' : 'MISSED'}`,
      `backfill: ${count(samples)} samples (raw + burnbook's two 5m recordings) in ${backfillSeconds.toFixed(0)} s; ` +
        `recordings vs Prometheus's own rate(): max relative difference ${recordingError.toExponential(1)}`,
      ...[...ours.failures, ...theirs.failures].map((f) => `rule failed: ${f}`),
    ],
  });

  const windows = windowsOf(slos[0] as Slo);
  // burnbook's 5m row holds the two recordings that read the raw series as well as the 5m ratio.
  const perWindow = (costs: RuleCost[], w: number) =>
    costs.filter((c) => parseDuration(/rate(\w+)$/.exec(c.rule)?.[1] ?? '') === w);
  printTable({
    title: 'Cost by window, all SLOs (the error-ratio rule of each window)',
    columns: [
      'window',
      'burnbook samples',
      'straightforward samples',
      'ratio',
      'burnbook time',
      'straightforward time',
    ],
    rows: windows.map((w) => {
      const [x, y] = [perWindow(ourCosts, w), perWindow(theirCosts, w)];
      const sum = (list: RuleCost[], key: 'samples' | 'liveSeconds') => list.reduce((s, c) => s + c[key], 0);
      return [
        formatDuration(w),
        count(sum(x, 'samples')),
        count(sum(y, 'samples')),
        times(sum(y, 'samples'), sum(x, 'samples')),
        ms(sum(x, 'liveSeconds')),
        ms(sum(y, 'liveSeconds')),
      ];
    }),
    notes: [
      `peak samples of one query: burnbook ${count(Math.max(...ourCosts.map((c) => c.peakSamples)))}, ` +
        `straightforward ${count(Math.max(...theirCosts.map((c) => c.peakSamples)))} (limit --query.max-samples, default 50 M)`,
    ],
  });

  const savings = [
    ['burnbook', slowGroupSaving(ourCosts, workload.intervalSeconds, slowSeconds)],
    ['straightforward', slowGroupSaving(theirCosts, workload.intervalSeconds, slowSeconds)],
  ] as const;
  printTable({
    title: `Windows of 1d and more (3d, 30d and what reads 30d) in a group evaluated every ${formatDuration(slowSeconds * 1000)}`,
    columns: [
      'rules',
      '30d rule time',
      '30d rule samples',
      '≥1d share of time',
      '≥1d share of samples',
      'saved time',
      'saved samples',
    ],
    rows: savings.map(([label, s]) => [
      label,
      ms(s.periodSeconds),
      count(s.periodSamples),
      percent(s.timeShare, 1),
      percent(s.sampleShare, 1),
      percent(s.timeSaved, 1),
      percent(s.samplesSaved, 1),
    ]),
    notes: [
      '30d rule: the period window alone, summed over all SLOs, per evaluation (median rule evaluationTime / samples read)',
      'saved: share of the rule cost per minute that a slower group for those rules would remove',
    ],
  });

  const expected = new Set(
    bench.flatMap((s) => EXPECTED_TIERS[s.scenario].map((t) => `${s.service}/${t} (availability-${t}-burn)`)),
  );
  const same = [...ours.alerts].sort().join() === [...theirs.alerts].sort().join();
  const onlyOurs = [...ours.alerts].filter((x) => !theirs.alerts.has(x));
  const onlyTheirs = [...theirs.alerts].filter((x) => !ours.alerts.has(x));
  printTable({
    title: 'Same alerts on the same data',
    columns: ['check', 'result'],
    rows: [
      ['alerts pending or firing, burnbook', String(ours.alerts.size)],
      ['alerts pending or firing, straightforward', String(theirs.alerts.size)],
      ['alerts the scenarios should fire', String(expected.size)],
      [
        'same alerts in both',
        same
          ? 'yes'
          : `NO: only burnbook ${onlyOurs.join(', ')}; only straightforward ${onlyTheirs.join(', ')}`,
      ],
      [
        'burnbook fires what the scenarios should',
        [...expected].every((x) => ours.alerts.has(x)) && expected.size === ours.alerts.size ? 'yes' : 'no',
      ],
      ...diffs.map((d) => [
        `largest burn-rate difference, ${formatDuration(d.windowMs)} window`,
        `${d.burnDiff.toFixed(3)}× (${d.service})`,
      ]),
    ],
    notes: [
      'burn-rate difference: |burnbook − straightforward| error ratio at the same instant ÷ error budget',
    ],
  });
}
