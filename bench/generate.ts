/**
 * `burnbook generate` and `validate` at 100, 1,000 and 10,000 SLOs (20 per file, so 10,000 SLOs are 500
 * files): wall time and peak memory of the CLI as a child process, as a user runs it. Baseline, same run:
 * a child that only starts Node with the same loader, reads the same files and parses their YAML.
 *
 * Options: --sizes 100,1000,10000  --repeat 3  --per-file 20  --profile (writes CPU profiles of the largest
 * size's cold generate, edit loop and validate again to bench-profiles/)
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { bytes, flags, median, ms, numberFlag, printTable, progress, tempDir, times } from './support.ts';

const BIN = resolve('bin/burnbook.js');
const PARSE_ONLY = resolve('bench/parse-only.ts');
const TIME = '/usr/bin/time';

/** One service's file: a mix of SLI kinds and options, like a real estate of services. */
export function specFile(service: string, count: number): string {
  const slos = Array.from({ length: count }, (_, i) => {
    const name = `${['availability', 'latency', 'tenant-availability', 'writes'][i % 4]}-${i}`;
    const selector = `job="${service}",handler="/api/h${i}"`;
    switch (i % 4) {
      case 0:
        return [
          `  - name: ${name}`,
          `    description: ${service} handler ${i} answers without a 5xx`,
          '    objective: 99.9',
          '    sli:',
          '      ratio:',
          `        errors: http_requests_total{${selector},code=~"5.."}`,
          `        total: http_requests_total{${selector}}`,
          '    breakdown: [route, code]',
        ];
      case 1:
        return [
          `  - name: ${name}`,
          `    description: ${service} handler ${i} answers within 300 ms`,
          '    objective: 99',
          '    sli:',
          '      latency:',
          `        histogram: http_request_duration_seconds{${selector}}`,
          '        threshold: 0.3',
          '    breakdown: [route]',
        ];
      case 2:
        return [
          `  - name: ${name}`,
          '    objective: 99.5',
          '    sli:',
          '      ratio:',
          `        errors: search_requests_total{${selector},status="error"}`,
          `        total: search_requests_total{${selector}}`,
          '    groupBy: [tenant]',
          '    breakdown: [index, instance]',
          '    minEvents: 100',
          '    alerting:',
          '      labels: {component: frontend}',
        ];
      default:
        return [
          `  - name: ${name}`,
          '    objective: 99.95',
          '    period: 28d',
          '    sli:',
          '      query:',
          `        errors: sum(rate(write_failures_total{${selector}}[{{window}}]))`,
          `        total: sum(rate(writes_total{${selector}}[{{window}}]))`,
          '    alerting:',
          '      tiers:',
          '        - {name: fast, budgetPercent: 2, long: 1h, short: 5m, for: 1m, severity: page}',
          '        - {name: slow, budgetPercent: 5, long: 6h, short: 30m, for: 10m, severity: page}',
        ];
    }
  });
  return [
    'apiVersion: burnbook/v1',
    `service: ${service}`,
    `labels: {team: team-${service.slice(-2)}}`,
    'scrapeInterval: 30s',
    'slos:',
    ...slos.flat(),
    '',
  ].join('\n');
}

export function writeSpecs(dir: string, slos: number, perFile: number): number {
  mkdirSync(dir, { recursive: true });
  let files = 0;
  for (let written = 0; written < slos; written += perFile) {
    const service = `svc-${String(files).padStart(4, '0')}`;
    writeFileSync(join(dir, `${service}.yaml`), specFile(service, Math.min(perFile, slos - written)));
    files++;
  }
  return files;
}

interface Run {
  seconds: number;
  maxRssBytes: number;
  /** User + system CPU of the child and its children (promtool): what the run costs whatever the load. */
  cpuSeconds: number;
}

/** Wall time and the largest resident set of the child (and its children: promtool), from GNU time. */
async function measure(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const useTime = existsSync(TIME);
  const started = process.hrtime.bigint();
  const { stderr } = await promisify(execFile)(
    useTime ? TIME : process.execPath,
    useTime ? ['-v', process.execPath, ...args] : args,
    { maxBuffer: 64 * 1024 * 1024, env },
  ).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`${args.join(' ')} failed: ${error.stderr?.slice(-2000) || error.message}`);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const cpu = (kind: string) =>
    Number(new RegExp(`${kind} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1] ?? Number.NaN);
  return {
    seconds,
    maxRssBytes: rss ? Number(rss[1]) * 1024 : Number.NaN,
    cpuSeconds: cpu('User') + cpu('System'),
  };
}

/** Median time and largest memory of `repeat` runs; `args` may differ per run (a fresh output dir). */
async function best(repeat: number, args: (run: number) => string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  const runs: Run[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await measure(args(i), env));
  return {
    seconds: median(runs.map((r) => r.seconds)),
    maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
  };
}

// generate checks its rule files with the promtool it finds on PATH, and skips the check without one.
const WITHOUT_PROMTOOL = { ...process.env, PATH: '/nonexistent' };

interface Result {
  files: number;
  parse: Run;
  validate: Run;
  generate: Run;
  withoutPromtool: Run;
  unchanged: Run;
  edited: Run;
  validateKnown: Run;
}

/** The edit loop's edit: the first SLO's objective of the first file, 99.9 and 99.8 by turns. */
function editOneSlo(specs: string, run: number): void {
  const file = join(specs, 'svc-0000.yaml');
  const text = readFileSync(file, 'utf8');
  const [from, to] = run % 2 === 0 ? ['99.9', '99.8'] : ['99.8', '99.9'];
  writeFileSync(file, text.replace(`objective: ${from}\n`, `objective: ${to}\n`));
}

export async function generateBench(args: string[]): Promise<void> {
  const options = flags(args);
  const sizes = (options.get('sizes') ?? '100,1000,10000').split(',').map(Number);
  const repeat = numberFlag(options, 'repeat', 3);
  const perFile = numberFlag(options, 'per-file', 20);
  if (!existsSync(TIME)) progress(`${TIME} is missing (apt-get install time): peak memory is not measured`);
  const dir = tempDir('generate');

  // One SLO first: what every run pays before the first SLO (Node, the loader, the modules, promtool).
  const all = [1, ...sizes];
  const results = new Map<number, Result>();
  // The loader compiles TypeScript on first use and caches it; a throwaway run keeps that out of the figures.
  await measure([BIN, '--help']).catch(() => undefined);
  for (const size of all) {
    const specs = join(dir, `specs-${size}`);
    const files = writeSpecs(specs, size, perFile);
    const out = join(dir, `out-${size}`);
    progress(`generate: ${size} SLOs in ${files} files, ${repeat} runs each`);
    const parse = await best(repeat, () => ['--import', 'tsx', PARSE_ONLY, specs]);
    // What generate and validate keep between runs (src/cache/, src/promtool/verdicts.ts): a cold run starts
    // with an empty cache directory, a warm one with what the run before it left.
    const cache = join(dir, `cache-${size}`);
    const withCache = { ...process.env, BURNBOOK_CACHE_DIR: cache };
    const cold = (args: string[]) => {
      rmSync(cache, { recursive: true, force: true });
      return args;
    };
    const validate = await best(repeat, () => cold([BIN, 'validate', specs]), withCache);
    await measure([BIN, 'validate', specs], withCache);
    const validateKnown = await best(repeat, () => [BIN, 'validate', specs], withCache);
    // Into an empty directory each time: a second run into the same one finds nothing to write.
    const generate = await best(
      repeat,
      (i) => cold([BIN, 'generate', specs, '--out', `${out}-${i}`]),
      withCache,
    );
    // Again into the directory the last cold run wrote, with what it kept.
    const last = `${out}-${repeat - 1}`;
    const unchanged = await best(repeat, () => [BIN, 'generate', specs, '--out', last], withCache);
    const edited = await best(
      repeat,
      (i) => {
        editOneSlo(specs, i);
        return [BIN, 'generate', specs, '--out', last];
      },
      withCache,
    );
    // A cache of its own, always empty: the warm one stays for the profiles below.
    const bareCache = join(dir, `cache-bare-${size}`);
    const withoutPromtool = await best(
      repeat,
      (i) => {
        rmSync(bareCache, { recursive: true, force: true });
        return [BIN, 'generate', specs, '--out', `${out}-bare-${i}`];
      },
      { ...WITHOUT_PROMTOOL, BURNBOOK_CACHE_DIR: bareCache },
    );
    if (repeat % 2 === 1) editOneSlo(specs, repeat);
    // The output stays until the end (the temp dir is removed then, about 1 GB at 10,000 SLOs): on ext4
    // without a journal, creating files within minutes of deleting thousands is several times slower
    // (the inode allocator steps over recently deleted inodes one by one), which would land on the next size.
    results.set(size, {
      files,
      parse,
      validate,
      generate,
      withoutPromtool,
      unchanged,
      edited,
      validateKnown,
    });
  }

  if (options.has('profile')) {
    const largest = Math.max(...sizes);
    const specs = join(dir, `specs-${largest}`);
    const profile = (name: string) => [
      '--cpu-prof',
      `--cpu-prof-dir=${resolve('bench-profiles', name)}`,
      BIN,
    ];
    const warm = { ...process.env, BURNBOOK_CACHE_DIR: join(dir, `cache-${largest}`) };
    const cold = { ...process.env, BURNBOOK_CACHE_DIR: join(dir, 'cache-profile') };
    await measure([...profile('generate'), 'generate', specs, '--out', join(dir, 'out-profile')], cold);
    editOneSlo(specs, 0);
    await measure(
      [...profile('edit-loop'), 'generate', specs, '--out', `${join(dir, `out-${largest}`)}-${repeat - 1}`],
      warm,
    );
    editOneSlo(specs, 1);
    // The cold generate above emptied the cache validate left: one validate first, then the one profiled.
    await measure([BIN, 'validate', specs], warm);
    await measure([...profile('validate-again'), 'validate', specs], warm);
    progress(
      `CPU profiles at ${largest} SLOs in bench-profiles/{generate,edit-loop,validate-again}/ (open in Chrome DevTools)`,
    );
  }

  const one = results.get(1) as Result;
  const perSlo = (pick: (r: Result) => Run, size: number) =>
    size > 1
      ? `${(((pick(results.get(size) as Result).seconds - pick(one).seconds) / (size - 1)) * 1000).toFixed(2)} ms`
      : '-';
  printTable({
    title: `generate and validate at scale (${perFile} SLOs per file; median of ${repeat} runs; 2 cores)`,
    columns: [
      'SLOs',
      'files',
      'read+parse YAML',
      'validate',
      'generate',
      'generate w/o promtool',
      'regenerate, unchanged',
      'regenerate, one SLO edited',
      'validate again',
      'validate again ÷ parse',
      'generate ÷ parse',
      'validate ÷ generate',
      'generate peak RSS',
      'validate peak RSS',
    ],
    rows: all.map((size) => {
      const r = results.get(size) as Result;
      return [
        String(size),
        String(r.files),
        ms(r.parse.seconds),
        ms(r.validate.seconds),
        ms(r.generate.seconds),
        ms(r.withoutPromtool.seconds),
        ms(r.unchanged.seconds),
        ms(r.edited.seconds),
        ms(r.validateKnown.seconds),
        times(r.validateKnown.seconds, r.parse.seconds),
        times(r.generate.seconds, r.parse.seconds),
        (r.validate.seconds / r.generate.seconds).toFixed(2),
        bytes(r.generate.maxRssBytes),
        bytes(r.validate.maxRssBytes),
      ];
    }),
    notes: [
      'generate: into an empty directory with an empty cache, checked with promtool check rules (as users run it when promtool is installed)',
      'generate w/o promtool: the same with promtool not on PATH, so burnbook skips the check: its own cost',
      'regenerate, unchanged: again into the same directory, with the cache the run before left; nothing to write, nothing to check',
      "regenerate, one SLO edited: the edit loop; one SLO's objective changed, then generate into the same directory",
      'validate: with an empty cache (no spec models, rendered digests or promtool verdicts); validate again: with those of the run before (nothing changed)',
      'peak RSS: GNU time "Maximum resident set size" of the child and its children (promtool)',
      (() => {
        const largest = results.get(Math.max(...sizes));
        if (!largest) return '';
        const ok = largest.generate.maxRssBytes < 500 * 2 ** 20;
        return `target at ${Math.max(...sizes)} SLOs: generate < 500 MB: ${ok ? 'met' : 'MISSED'}`;
      })(),
      (() => {
        const largest = results.get(Math.max(...sizes));
        if (!largest) return '';
        const edit = largest.edited.seconds <= 1.5;
        const validate = largest.validateKnown.seconds <= 1.5 * largest.parse.seconds;
        return `targets at ${Math.max(...sizes)} SLOs: edit loop ≤ 1.5 s: ${edit ? 'met' : 'MISSED'} (CPU, burnbook and promtool: ${largest.edited.cpuSeconds.toFixed(2)} s; at 1 SLO ${one.edited.seconds.toFixed(2)} s wall, ${one.edited.cpuSeconds.toFixed(2)} s CPU); validate again ≤ 1.5 × parse: ${validate ? 'met' : 'MISSED'} (CPU ${largest.validateKnown.cpuSeconds.toFixed(2)} s, parse ${largest.parse.cpuSeconds.toFixed(2)} s); load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' / ')}`;
      })(),
    ],
  });

  printTable({
    title: 'Growth: time per SLO beyond the first ((time at N − time at 1 SLO) ÷ (N − 1))',
    columns: ['SLOs', 'read+parse YAML', 'validate', 'generate', 'generate w/o promtool'],
    rows: sizes.map((size) => [
      String(size),
      perSlo((r) => r.parse, size),
      perSlo((r) => r.validate, size),
      perSlo((r) => r.generate, size),
      perSlo((r) => r.withoutPromtool, size),
    ]),
    notes: ['constant down a column means time grows linearly with the number of SLOs'],
  });
}
