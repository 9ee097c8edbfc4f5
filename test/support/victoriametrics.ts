/**
 * A real VictoriaMetrics for tests (Debian's `victoria-metrics` package, which ships `vmalert` too): fresh
 * storage, loopback only, series imported through its API, and vmalert replaying rules over them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { SeriesHistory } from './history.ts';
import { startServer } from './process.ts';
import { requireTool } from './tools.ts';

export interface RunningVictoriaMetrics {
  /** Its Prometheus-compatible API is under this URL too (`/api/v1/query`). */
  url: string;
  logPath: string;
  /** Imports series through /api/v1/import and makes them searchable at once. */
  importSeries(series: readonly SeriesHistory[]): Promise<void>;
  /** Makes what was written so far searchable now (rather than within a second or so). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export async function startVictoriaMetrics(extraArgs: string[] = []): Promise<RunningVictoriaMetrics> {
  const binary = requireTool('/usr/bin/victoria-metrics');
  const dir = await mkdtemp(join(tmpdir(), 'burnbook-victoriametrics-'));
  const server = await startServer({
    name: 'VictoriaMetrics',
    binary,
    dir,
    readyPath: '/health',
    args: (port) => [
      `-storageDataPath=${join(dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      // History a test makes may be of any age; the default (a month) would drop older samples on import.
      '-retentionPeriod=100y',
      ...extraArgs,
    ],
  });
  const flush = async () => {
    const flushed = await fetch(`${server.url}/internal/force_flush`);
    if (!flushed.ok) throw new Error(`force_flush failed (HTTP ${flushed.status})`);
  };
  return {
    url: server.url,
    logPath: server.logPath,
    stop: server.stop,
    flush,
    async importSeries(series) {
      // JSON lines: one series per line, its values and timestamps (milliseconds) side by side.
      const body = series
        .map((s) =>
          JSON.stringify({
            metric: { __name__: s.name, ...s.labels },
            values: s.points.map(([, value]) => value),
            timestamps: s.points.map(([at]) => at),
          }),
        )
        .join('\n');
      const imported = await fetch(`${server.url}/api/v1/import`, { method: 'POST', body });
      if (imported.status !== 204) {
        throw new Error(
          `VictoriaMetrics refused the import (HTTP ${imported.status}): ${await imported.text()}`,
        );
      }
      await flush();
    },
  };
}

/** A rule group as Prometheus (and vmalert) read it. */
export interface RuleGroup {
  name: string;
  rules: Array<{ record?: string; alert?: string; expr: string; [key: string]: unknown }>;
}

export interface ReplayOptions {
  groups: readonly RuleGroup[];
  /** VictoriaMetrics to read from and write the results (recording rules, ALERTS) to. */
  vm: RunningVictoriaMetrics;
  from: Date;
  to: Date;
  /** Where the rule files for vmalert go. */
  dir: string;
  /** How often each group is evaluated when it names no interval of its own; default 1m. */
  evaluationInterval?: string;
}

/**
 * `vmalert -replay`: evaluates the rules over [from, to] as if it had run then, writing what recording rules
 * record and the `ALERTS` series of alerting rules back to VictoriaMetrics. vmalert replays a group's rules
 * one after another with a fixed pause for what one wrote to become searchable by the next; on a loaded
 * machine that pause is sometimes too short. So the rules go in dependency order instead: every rule that
 * reads only raw series first, then those reading what they recorded, and so on, with VictoriaMetrics
 * flushed in between. `ALERTS` counts as recorded by the alerting rules it selects: a slower tier's settled
 * clause reads the faster tiers' `ALERTS`, so it is replayed after them, as Prometheus and a live vmalert
 * (the previous evaluation's `ALERTS`, written back) see them. A rule's read of its own `ALERTS` (the hold
 * clause) cannot be replayed: a range query over the whole span runs before any of its alerts exist, so the
 * replayed hold never holds; at the test's 1m steps that ends a page at most a minute or two earlier.
 * Returns vmalert's logs.
 */
export async function replayRules(options: ReplayOptions): Promise<string[]> {
  const logs: string[] = [];
  for (const [level, groups] of byDependencyLevel(options.groups).entries()) {
    const file = join(options.dir, `replay-${level}.yaml`);
    await writeFile(file, stringify({ groups }, { lineWidth: 0 }));
    logs.push(await vmalertReplay(file, options));
    await options.vm.flush();
  }
  return logs;
}

/** The groups, each cut into the rules of each dependency level: level 0 reads no recorded series. */
function byDependencyLevel(groups: readonly RuleGroup[]): RuleGroup[][] {
  const rules = groups.flatMap((group) => group.rules);
  const recorded = [...new Set(rules.flatMap((rule) => (rule.record ? [rule.record] : [])))];
  const reads = (expr: string, name: string) =>
    new RegExp(`(^|[^\\w:])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w:])`).test(expr);
  const levelOfName = new Map<string, number>();
  const levelOf = (expr: string): number =>
    Math.max(-1, ...recorded.filter((name) => reads(expr, name)).map((name) => levelOfName.get(name) ?? 0)) +
    1;
  // Recorded names reach their level within as many rounds as there are names.
  for (let round = 0; round <= recorded.length; round++) {
    for (const rule of rules) {
      if (rule.record)
        levelOfName.set(rule.record, Math.max(levelOfName.get(rule.record) ?? 0, levelOf(rule.expr)));
    }
  }
  const alerting = rules.filter((rule) => rule.alert);
  const alertLevel = new Map<RuleGroup['rules'][number], number>();
  const ruleLevel = (rule: RuleGroup['rules'][number]): number => {
    const known = alertLevel.get(rule);
    if (known !== undefined) return known;
    const after = alerting.filter((other) => other !== rule && readsAlertsOf(rule.expr, other));
    const level = Math.max(levelOf(rule.expr), ...after.map((other) => ruleLevel(other) + 1));
    if (rule.alert) alertLevel.set(rule, level);
    return level;
  };
  const levels: RuleGroup[][] = [];
  for (const group of groups) {
    for (const rule of group.rules) {
      const level = ruleLevel(rule);
      levels[level] ??= [];
      const into = levels[level] as RuleGroup[];
      const same = into.find((g) => g.name === group.name);
      if (same) same.rules.push(rule);
      else into.push({ ...group, rules: [rule] });
    }
  }
  return levels.filter(Boolean);
}

/** Whether `expr` selects `ALERTS` of the alerting rule `rule`: every matcher of one selector holds for its labels. */
function readsAlertsOf(expr: string, rule: RuleGroup['rules'][number]): boolean {
  const labels: Record<string, string> = {
    ...(rule.labels as Record<string, string> | undefined),
    alertname: String(rule.alert),
  };
  return [...expr.matchAll(/\bALERTS\{([^}]*)\}/g)].some(([, body]) =>
    [...(body ?? '').matchAll(/(\w+)\s*(=~|!=|=)\s*"([^"]*)"/g)].every(([, name = '', op, value = '']) => {
      if (name === 'alertstate') return true;
      const actual = labels[name] ?? '';
      if (op === '=~') return new RegExp(`^(?:${value})$`).test(actual);
      return op === '=' ? actual === value : actual !== value;
    }),
  );
}

/**
 * `vmalert -dryRun`: loads rule files as vmalert would when it starts (every expression parsed as MetricsQL,
 * every annotation template checked) and exits; throws with vmalert's complaint when it refuses one.
 */
export async function checkRules(ruleFiles: readonly string[]): Promise<void> {
  const vmalert = requireTool('/usr/bin/vmalert');
  try {
    await promisify(execFile)(vmalert, ['-dryRun', ...ruleFiles.map((file) => `-rule=${file}`)], {
      timeout: 60_000,
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`vmalert refused the rules:\n${(stderr || stdout || String(error)).slice(-4000)}`);
  }
}

async function vmalertReplay(ruleFile: string, options: ReplayOptions): Promise<string> {
  const vmalert = requireTool('/usr/bin/vmalert');
  const interval = options.evaluationInterval ?? '1m';
  try {
    const { stdout, stderr } = await promisify(execFile)(
      vmalert,
      [
        `-rule=${ruleFile}`,
        `-datasource.url=${options.vm.url}`,
        `-remoteWrite.url=${options.vm.url}`,
        `-replay.timeFrom=${options.from.toISOString()}`,
        `-replay.timeTo=${options.to.toISOString()}`,
        `-evaluationInterval=${interval}`,
        // The default (5m) would evaluate every fifth minute only.
        `-datasource.queryStep=${interval}`,
        // Rules of one level read nothing another of the level writes.
        '-replay.rulesDelay=0s',
        '-replay.disableProgressBar',
        '-httpListenAddr=127.0.0.1:0',
      ],
      { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
    );
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`vmalert -replay failed:\n${(stderr || stdout || String(error)).slice(-4000)}`);
  }
}
