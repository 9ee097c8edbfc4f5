/**
 * The cache of spec models and rendered files (src/cache/) must never change what `generate` writes or what
 * `validate` says: a run served from the cache is compared with a cold run (an empty cache, an empty output
 * directory) after every one of a seeded series of random edits to a generated tree of specs, damaged cache
 * entries among them. Then the real CLI: runs at the same time sharing one cache, and a cache of garbage.
 */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FlagsOf } from '../src/commands/flags.ts';
import { generateCommand } from '../src/commands/generate.ts';
import { validateCommand } from '../src/commands/validate.ts';
import { burnbook } from './support/cli.ts';
import { chooser, random } from './support/random.ts';
import { requireTool } from './support/tools.ts';

const BIN = resolve('bin/burnbook.js');
const KINDS = ['ratio', 'latency', 'query'] as const;
const SERVICES = ['checkout', 'search', 'ledger', 'payments', 'inventory'];

interface SloDraft {
  name: string;
  kind: (typeof KINDS)[number];
  objective: string;
  runbook: boolean;
  label?: string;
}

interface SpecDraft {
  service: string;
  slos: SloDraft[];
}

function sloText(slo: SloDraft, service: string, runbook: string): string {
  const selector = `job="${service}",handler="${slo.name}"`;
  const sli = {
    ratio: [
      '      ratio:',
      `        errors: http_requests_total{${selector},code=~"5.."}`,
      `        total: http_requests_total{${selector}}`,
    ],
    latency: [
      '      latency:',
      `        histogram: http_request_duration_seconds{${selector}}`,
      '        threshold: 0.3',
    ],
    query: [
      '      query:',
      `        errors: sum(rate(failures_total{${selector}}[{{window}}]))`,
      `        total: sum(rate(requests_total{${selector}}[{{window}}]))`,
    ],
  }[slo.kind];
  return [
    `  - name: ${slo.name}`,
    `    objective: ${slo.objective}`,
    '    sli:',
    ...sli,
    ...(slo.runbook ? [`    runbook: ${runbook}`] : []),
    ...(slo.label ? ['    alerting:', `      labels: {component: ${slo.label}}`] : []),
  ].join('\n');
}

function specText(spec: SpecDraft, runbook: string): string {
  return [
    'apiVersion: burnbook/v1',
    `service: ${spec.service}`,
    'slos:',
    ...spec.slos.map((s) => sloText(s, spec.service, runbook)),
    '',
  ].join('\n');
}

/** Every file under `dir`, by path relative to it, with its content; temporary files included. */
function tree(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path)] = readFileSync(path, 'utf8');
  }
  return files;
}

/** Runs a command in this process with its terminal output captured; the exit code it set and the output. */
async function captured(run: () => Promise<unknown>): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const keep = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  const spies = [
    vi.spyOn(console, 'log').mockImplementation(keep),
    vi.spyOn(console, 'error').mockImplementation(keep),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    }),
  ];
  process.exitCode = 0;
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  // Timings differ from run to run, and so do the scratch and output directories' names.
  const output = lines
    .join('\n')
    .replace(/ in \d+ ms/g, ' in N ms')
    .replace(/\(\d+ written, \d+ unchanged\)/g, '(counts)')
    .split('\n')
    // Which files were written or removed differs by design: a warm directory needs fewer.
    .filter((line) => line.trim() && !/^\s+(wrote|removed)\s/.test(line))
    .join('\n');
  return { code, output };
}

let dir: string;
const savedCacheDir = process.env.BURNBOOK_CACHE_DIR;

beforeEach(() => {
  requireTool('promtool');
  dir = mkdtempSync(join(tmpdir(), 'burnbook-cache-'));
});

afterEach(() => {
  if (savedCacheDir === undefined) delete process.env.BURNBOOK_CACHE_DIR;
  else process.env.BURNBOOK_CACHE_DIR = savedCacheDir;
  rmSync(dir, { recursive: true, force: true });
});

/** Damages one entry of the cache as a crash, a full disk or a stray edit would. */
function damage(cacheDir: string, pick: <T>(items: readonly T[]) => T, int: (n: number) => number): string {
  const entries = readdirSync(cacheDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => readFileSync(path).length > 0);
  if (!entries.length) return 'nothing to damage';
  const path = pick(entries);
  const bytes = readFileSync(path);
  const how = pick(['truncate', 'flip', 'garbage', 'empty'] as const);
  if (how === 'truncate') writeFileSync(path, bytes.subarray(0, int(bytes.length)));
  if (how === 'flip') {
    const at = int(bytes.length);
    bytes[at] = (bytes[at] ?? 0) ^ (1 << int(8));
    writeFileSync(path, bytes);
  }
  if (how === 'garbage') writeFileSync(path, Buffer.from(Array.from({ length: 200 }, () => int(256))));
  if (how === 'empty') writeFileSync(path, '');
  return `${how} ${relative(cacheDir, path)}`;
}

describe('generate and validate served from the cache', () => {
  it('write what a cold run writes and say what it says, after each of 29 seeded random edits', async () => {
    const { int, pick } = chooser(random(2121));
    const specs = join(dir, 'slos');
    const runbook = join(specs, 'runbooks', 'shared.md');
    mkdirSync(join(specs, 'runbooks'), { recursive: true });
    writeFileSync(runbook, '# Shared runbook\n');
    // A document that refers to others across files (OpenSLO's indicatorRef) is never served from the cache.
    copyFileSync('test/fixtures/import/openslo/catalog.yaml', join(specs, 'zz-openslo.yaml'));
    const drafts = new Map<string, SpecDraft>();
    let made = 0;
    const newSlo = (): SloDraft => ({
      name: `slo-${made++}`,
      kind: pick(KINDS),
      objective: pick(['99', '99.5', '99.9', '99.95']),
      runbook: int(4) === 0,
    });
    const write = (file: string) => {
      const draft = drafts.get(file);
      if (draft) writeFileSync(join(specs, file), specText(draft, runbook));
      else rmSync(join(specs, file), { force: true });
    };
    for (let i = 0; i < 6; i++) {
      const file = `spec-${i}.yaml`;
      // Two files per service for some: rule files and dashboards gather a service's SLOs across files.
      drafts.set(file, { service: SERVICES[i % 4] as string, slos: [newSlo(), newSlo(), newSlo()] });
      write(file);
    }
    const warmCache = join(dir, 'cache');
    let externalUrl = 'http://burnbook.test';
    const edits: Array<[string, () => string]> = [
      [
        'objective',
        () => {
          const [file, draft] = pick([...drafts]);
          const slo = pick(draft.slos);
          slo.objective = pick(['98', '99.5', '99.99']);
          write(file);
          return `${file}: ${slo.name} objective ${slo.objective}`;
        },
      ],
      [
        'add an SLO',
        () => {
          const [file, draft] = pick([...drafts]);
          draft.slos.push(newSlo());
          write(file);
          return `${file}: +1 SLO`;
        },
      ],
      [
        'remove an SLO',
        () => {
          const [file, draft] = pick([...drafts]);
          if (draft.slos.length > 1) draft.slos.splice(int(draft.slos.length), 1);
          write(file);
          return `${file}: -1 SLO`;
        },
      ],
      [
        'a name another file of the service uses',
        () => {
          const [file, draft] = pick([...drafts]);
          const other = [...drafts.values()].find((d) => d !== draft && d.service === draft.service);
          if (!other) return 'no other file of the service';
          (draft.slos[0] as SloDraft).name = (other.slos[0] as SloDraft).name;
          write(file);
          return `${file}: duplicate name`;
        },
      ],
      [
        'rename to a fresh name',
        () => {
          const [file, draft] = pick([...drafts]);
          (draft.slos[0] as SloDraft).name = `slo-${made++}`;
          write(file);
          return `${file}: renamed`;
        },
      ],
      [
        'another service',
        () => {
          const [file, draft] = pick([...drafts]);
          draft.service = pick(SERVICES);
          write(file);
          return `${file}: service ${draft.service}`;
        },
      ],
      [
        'a new file',
        () => {
          const file = `spec-${made++}.yaml`;
          drafts.set(file, { service: pick(SERVICES), slos: [newSlo()] });
          write(file);
          return `${file}: new`;
        },
      ],
      [
        'a file removed',
        () => {
          const [file] = pick([...drafts]);
          if (drafts.size > 2) drafts.delete(file);
          write(file);
          return `${file}: removed`;
        },
      ],
      [
        'a runbook reference',
        () => {
          const [file, draft] = pick([...drafts]);
          const slo = pick(draft.slos);
          slo.runbook = !slo.runbook;
          write(file);
          return `${file}: runbook ${slo.runbook}`;
        },
      ],
      [
        'the runbook file removed or restored',
        () => {
          if (existsSync(runbook)) rmSync(runbook);
          else writeFileSync(runbook, '# Shared runbook\n');
          return `runbook ${existsSync(runbook) ? 'restored' : 'removed'}`;
        },
      ],
      [
        'an alert label',
        () => {
          const [file, draft] = pick([...drafts]);
          const slo = pick(draft.slos);
          slo.label = slo.label ? undefined : pick(['api', 'db']);
          write(file);
          return `${file}: label ${slo.label}`;
        },
      ],
      ['a damaged cache entry', () => damage(warmCache, pick, int)],
      [
        'another --external-url',
        () => {
          externalUrl =
            externalUrl === 'http://burnbook.test' ? 'http://burnbook.example' : 'http://burnbook.test';
          return externalUrl;
        },
      ],
      [
        'a generated file edited by hand, another removed',
        () => {
          // Files the last run did not write, so their status was recorded as read (written ones may be racy).
          const old = Object.keys(tree(warmOut))
            .filter((file) => statSync(join(warmOut, file)).ctimeMs < lastRun - 100)
            .sort(() => int(3) - 1);
          const [edited, removed] = old;
          if (!edited || !removed) return 'nothing old enough';
          // The same size, so only the file's times and content tell.
          const text = readFileSync(join(warmOut, edited), 'utf8');
          writeFileSync(
            join(warmOut, edited),
            text.replace(/[a-z]/, (c) => (c === 'x' ? 'y' : 'x')),
          );
          rmSync(join(warmOut, removed));
          return `${edited} edited, ${removed} removed`;
        },
      ],
      ['nothing', () => 'nothing changed'],
    ];
    const warmOut = join(dir, 'warm');
    let lastRun = Date.now();
    /** After a step whose specs were refused, the refusal is undone, so most steps compare written files. */
    const repair = () => {
      if (!existsSync(runbook)) writeFileSync(runbook, '# Shared runbook\n');
      const seen = new Set<string>();
      for (const [file, draft] of drafts) {
        for (const slo of draft.slos) {
          if (seen.has(`${draft.service}/${slo.name}`)) slo.name = `slo-${made++}`;
          seen.add(`${draft.service}/${slo.name}`);
        }
        write(file);
      }
    };
    let refused = false;
    // Every kind of edit once, in a seeded order, then seeded picks.
    const order = edits.map((edit) => ({ edit, at: int(1000) })).sort((a, b) => a.at - b.at);
    for (let step = 0; step < 30; step++) {
      const [kind, edit] =
        step === 0 ? (['start', () => 'first run'] as const) : (order[step - 1]?.edit ?? pick(edits));
      if (refused) repair();
      const what = `step ${step} (${kind}): ${edit()}`;
      const flags = (out: string): FlagsOf<'generate'> => ({
        out: join(out, 'rules'),
        format: 'prometheus',
        ruleNamePrefix: 'burnbook-',
        externalUrl,
        alertmanager: join(out, 'alertmanager', 'burnbook.yaml'),
        grafana: join(out, 'grafana'),
        runbooks: join(specs, 'runbooks'),
      });
      const coldOut = join(dir, `cold-${step}`);
      process.env.BURNBOOK_CACHE_DIR = join(dir, `cold-cache-${step}`);
      const cold = await captured(() => generateCommand([specs], flags(coldOut)));
      const coldValidate = await captured(() =>
        validateCommand([specs], { runbooks: join(specs, 'runbooks'), prometheusTimeout: '10s' }),
      );
      process.env.BURNBOOK_CACHE_DIR = warmCache;
      lastRun = Date.now();
      const warm = await captured(() => generateCommand([specs], flags(warmOut)));
      const warmValidate = await captured(() =>
        validateCommand([specs], { runbooks: join(specs, 'runbooks'), prometheusTimeout: '10s' }),
      );
      expect({ code: warm.code, output: warm.output.replaceAll(warmOut, 'OUT') }, what).toEqual({
        code: cold.code,
        output: cold.output.replaceAll(coldOut, 'OUT'),
      });
      expect(warmValidate, what).toEqual(coldValidate);
      // A run that refuses the specs writes nothing: the warm directory keeps the last good run's files.
      if (cold.code === 0) expect(tree(warmOut), what).toEqual(tree(coldOut));
      refused = cold.code !== 0;
      rmSync(coldOut, { recursive: true, force: true });
      rmSync(join(dir, `cold-cache-${step}`), { recursive: true, force: true });
    }
  }, 300_000);
});

describe('the cache through the CLI', () => {
  /** The example project with its specs copied 4 times under other service names, and a cold run's output. */
  function copiedProject() {
    const project = join(dir, 'project');
    cpSync('slos', join(project, 'slos'), { recursive: true });
    cpSync('runbooks', join(project, 'runbooks'), { recursive: true });
    for (const name of readdirSync(join(project, 'slos'))) {
      const text = readFileSync(join(project, 'slos', name), 'utf8');
      for (let copy = 1; copy <= 3; copy++) {
        writeFileSync(
          join(project, 'slos', `${copy}-${name}`),
          text.replace(/^service: (.*)$/m, `service: $1-${copy}`),
        );
      }
    }
    const args = (out: string) => ['generate', 'slos/', '--out', out, '--alertmanager', `${out}-am/am.yaml`];
    const cold = burnbook(args('cold'), { BURNBOOK_CACHE_DIR: join(dir, 'cold-cache') }, project);
    expect(cold.code, cold.all).toBe(0);
    return { project, args, expected: { ...tree(join(project, 'cold')), ...tree(join(project, 'cold-am')) } };
  }

  it('runs at the same time sharing one cache all write what a cold run writes', async () => {
    const { project, args, expected } = copiedProject();
    const env = { ...process.env, NO_COLOR: '1', BURNBOOK_CACHE_DIR: join(dir, 'shared-cache') };
    const run = (out: string) =>
      new Promise<{ code: number | null; stderr: string }>((done) => {
        const child = spawn(process.execPath, [BIN, ...args(out)], { cwd: project, env });
        let stderr = '';
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
        });
        child.on('close', (code) => done({ code, stderr }));
      });
    // Twice: the first round fills the cache from three runs at once, the second reads it from three.
    for (const round of [1, 2]) {
      const outs = [1, 2, 3].map((i) => `out-${round}-${i}`);
      const runs = await Promise.all(outs.map(run));
      for (const [i, out] of outs.entries()) {
        expect(runs[i]?.code, runs[i]?.stderr).toBe(0);
        expect({ ...tree(join(project, out)), ...tree(join(project, `${out}-am`)) }).toEqual(expected);
      }
    }
  }, 180_000);

  it('a cache of garbage and truncated entries is ignored and rebuilt: the same files, no stack trace', () => {
    const { project, args, expected } = copiedProject();
    const cache = join(dir, 'damaged-cache');
    expect(burnbook(args('first'), { BURNBOOK_CACHE_DIR: cache }, project).code).toBe(0);
    const entries = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(entries.length).toBeGreaterThan(12);
    for (const [i, entry] of entries.entries()) {
      const path = join(entry.parentPath, entry.name);
      const text = readFileSync(path, 'utf8');
      writeFileSync(
        path,
        i % 2 ? text.slice(0, text.length >> 1) : `${text.slice(0, 80)}{"slos": "x"}\u0000\n`,
      );
    }
    for (const out of ['second', 'third']) {
      const run = burnbook(args(out), { BURNBOOK_CACHE_DIR: cache }, project);
      expect(run.code, run.all).toBe(0);
      expect(run.all).not.toMatch(/\n\s+at /);
      expect({ ...tree(join(project, out)), ...tree(join(project, `${out}-am`)) }).toEqual(expected);
    }
  }, 180_000);
});
