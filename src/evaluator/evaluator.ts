import { vanishedGroupLookbackMs } from '../outputs/rules/absent.ts';
import type { AlertOptions } from '../outputs/rules/alerting.ts';
import { formatDuration, humanDuration } from '../policy/duration.ts';
import type { Tier } from '../policy/tiers.ts';
import { BASE_WINDOW_MS } from '../policy/windows.ts';
import type { PrometheusClient } from '../prometheus/client.ts';
import { formatLabels } from '../runbooks/render.ts';
import type { AbsentAlert, Slo } from '../spec/model.ts';
import type { AlertmanagerClient } from './alertmanager-client.ts';
import { absentContent, alertContent, type PostableAlert, postable } from './alerts.ts';
import { engineOf, type PrometheusRules, prometheusRulesOf, prometheusTierState } from './engine.ts';
import { evaluateSlos, groupLabels, summarize, unknownGroup, vanishedGroup } from './evaluate.ts';
import { incidentCondition } from './incident.ts';
import { type EvaluatorMetrics, recordStatuses } from './metrics.ts';
import { keyOf } from './plan.ts';
import type { EvaluatorReport, GroupStatus, SloStatus } from './report.ts';
import { type Evaluation, evaluateNow } from './run.ts';
import { advance, INACTIVE, type TierState } from './state.ts';

export interface EvaluatorOptions {
  slos: Slo[];
  prometheus: PrometheusClient;
  intervalMs: number;
  /** What the generated rules' alerts carry: runbook_url (and generatorURL) under externalUrl, dashboard_url. */
  alertOptions: AlertOptions;
  alertmanager?: AlertmanagerClient;
  metrics: EvaluatorMetrics;
  /** Where a change of the evaluation's or the Alertmanager pushes' health is told: a line per change. */
  log?: (line: string) => void;
}

// Alertmanager resolves an alert nobody re-sends by its endsAt: Prometheus's choice of four
// intervals rides out a failed evaluation or two without letting a dead evaluator's alerts live on.
// Like Prometheus, an interval counts as at least its resend delay (1m, rules/alerting.go sendAlerts):
// at a 250 ms interval, a busy machine's one slow evaluation let the alerts expire and be paged anew.
const VALID_INTERVALS = 4;
const RESEND_DELAY_MS = 60_000;

interface Tracked {
  slo: Slo;
  /** A burn tier, or the SLO's absent-SLI alert. */
  tier: Tier | AbsentAlert;
  state: TierState;
  alert?: Pick<PostableAlert, 'labels' | 'annotations'>;
}

function trackKey(slo: Slo, group: Record<string, string>, tier: Tier | AbsentAlert): string {
  return JSON.stringify([keyOf(slo), group, tier.name]);
}

/**
 * Whether the SLO's absent-SLI alert holds: no group reads a usable SLI, nothing over the last 5m (the
 * generated rule's `absent(slo:sli_total:rate5m{...})`) or a ratio above 1 (its `> 1.01` clause). (The rule also fires per group whose latency bucket is
 * missing; the evaluator's queries never see a group without its ratio, so that part is the rules' alone.)
 * Null while a query of the SLO fails: that proves nothing absent.
 */
function absentHolds(status: SloStatus): boolean | null {
  if (status.errors.length) return null;
  const groups = status.groups.length ? status.groups : [status];
  return groups.every((g) => g.broken !== null);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A group's labels and when it last read data (epoch ms). */
interface DataSeen {
  labels: Record<string, string>;
  at: number;
}

/**
 * The groups to report for an SLO: those Prometheus answered for, and, while its queries fail, the
 * groups reported before, with unknown numbers. A failed query proves no group gone, so each keeps
 * its place and its held alert state on the pages instead of vanishing until Prometheus answers.
 */
function withHeldGroups(slo: Slo, status: SloStatus, previous: SloStatus | undefined): GroupStatus[] {
  if (!status.errors.length || !previous) return status.groups;
  const answered = new Set(status.groups.map((g) => JSON.stringify(g.labels)));
  const held = previous.groups.filter((g) => !answered.has(JSON.stringify(g.labels)));
  return [...status.groups, ...held.map((g) => unknownGroup(slo, g.labels))];
}

/**
 * Evaluates every SLO on a timer, keeps each tier's alert state with `for` per group, exposes the
 * result as gauges and a report, and (with an Alertmanager) sends the alerts it fires. Nothing in
 * an evaluation throws out of it: failures are recorded and the next tick tries again.
 */
export class Evaluator {
  private readonly tracked = new Map<string, Tracked>();
  private report: EvaluatorReport;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The post to Alertmanager in flight, if any; evaluation never waits for it. */
  private notifying: Promise<void> | undefined;
  private readonly notifyAborted = new AbortController();
  private stopped = false;
  /**
   * When each group of each SLO (by `keyOf`, then its labels' JSON) last read data, for "no data since …"
   * (`withDataSince`) and for groups that vanished (`withVanishedGroups`).
   */
  private readonly lastData = new Map<string, Map<string, DataSeen>>();
  private readonly startedAt = Date.now();
  /** burnbook's alerting rules Prometheus runs, by SLO and tier (engine.ts); refreshed every evaluation. */
  private rules: PrometheusRules = new Map();
  /**
   * When each tier of each group last fired (epoch ms), by trackKey: the settled clause's
   * `max_over_time(ALERTS{…}[short window])`, kept past the resolved state's retention.
   */
  private readonly lastFired = new Map<string, number>();
  /** The problem last logged per channel (see `tell`). */
  private readonly told = new Map<string, string | null>();

  constructor(private readonly options: EvaluatorOptions) {
    this.report = {
      state: 'starting',
      prometheusUrl: options.prometheus.url,
      intervalMs: options.intervalMs,
      evaluatedAt: null,
      durationMs: null,
      queries: null,
      lastSuccessAt: null,
      error: null,
      alertmanager: options.alertmanager
        ? { url: options.alertmanager.url, lastSentAt: null, error: null }
        : null,
      slos: evaluateSlos(options.slos, []),
    };
  }

  latest(): EvaluatorReport {
    return this.report;
  }

  start(): void {
    this.stopped = false;
    const tick = async () => {
      const started = Date.now();
      this.running = this.evaluateOnce();
      await this.running;
      if (this.stopped) return;
      this.timer = setTimeout(tick, Math.max(0, this.options.intervalMs - (Date.now() - started)));
      this.timer.unref();
    };
    this.running = this.restore();
    void this.running.then(() => {
      if (!this.stopped) void tick();
    });
  }

  /**
   * Takes back from Alertmanager the alerts this burnbook was sending before it restarted, so they go on
   * firing with the same start instead of waiting out their `for` again. Without it a restart let them
   * expire while pending (a resolved notification) and then paged anew, on every deploy. Only alerts
   * whose generatorURL is this burnbook's SLO page: the generated rules' alerts come from Prometheus.
   */
  private async restore(): Promise<void> {
    const { alertmanager, alertOptions, slos } = this.options;
    if (!alertmanager || !this.report.alertmanager) return;
    try {
      for (const alert of await alertmanager.activeAlerts()) {
        const slo = slos.find((s) => s.service === alert.labels.slo_service && s.name === alert.labels.slo);
        const tier = [
          ...(slo?.alerting.tiers ?? []),
          ...(slo?.alerting.absent ? [slo.alerting.absent] : []),
        ].find((t) => t.name === alert.labels.slo_tier);
        if (!slo || !tier || alert.generatorURL !== alertOptions.urls.generator(slo)) continue;
        // A tier silenced since (alerting disabled) is not taken back: its alert ends by itself.
        if (slo.alerting.silent.includes(tier.name)) continue;
        this.track(trackKey(slo, groupLabels(slo, alert.labels), tier), {
          slo,
          tier,
          state: { state: 'firing', activeAt: alert.startsAt, firedAt: alert.startsAt },
          alert: { labels: alert.labels, annotations: alert.annotations },
        });
      }
    } catch (error) {
      this.report.alertmanager = {
        ...this.report.alertmanager,
        error: {
          at: iso(Date.now()),
          message: `could not take back firing alerts: ${(error as Error).message}`,
        },
      };
    }
  }

  /**
   * Logs a problem once when it starts or changes, and once when it ends: a Prometheus that is down for an
   * hour is one line, not one per evaluation.
   */
  private tell(channel: 'evaluation' | 'alertmanager', problem: string | null): void {
    const before = this.told.get(channel) ?? null;
    if (problem === before) return;
    this.told.set(channel, problem);
    const { log } = this.options;
    if (!log) return;
    if (problem) log(problem);
    else if (before)
      log(channel === 'evaluation' ? 'evaluation ok again' : 'sending alerts to Alertmanager ok again');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.notifyAborted.abort();
    await this.running;
    await this.notifying;
  }

  /**
   * One evaluation, its states, gauges and notifications. Never rejects. `instant` is now; a test replaying
   * a backfilled history evaluates one past instant after another, as Prometheus's rule evaluation would.
   */
  async evaluateOnce(instant = new Date()): Promise<void> {
    const { metrics } = this.options;
    const started = performance.now();
    try {
      const [evaluation] = await Promise.all([
        evaluateNow(this.options.prometheus, this.options.slos, instant),
        this.refreshRules(),
      ]);
      metrics.queries.inc(evaluation.queries);
      const slos = this.applyStates(evaluation);
      recordStatuses(metrics, slos);
      const at = evaluation.at.toISOString();
      const error = evaluation.errors.length ? { at, message: evaluation.errors.join('\n') } : null;
      metrics.evaluations.inc({ result: error ? 'partial' : 'ok' });
      if (!error) metrics.lastSuccess.set(evaluation.at.getTime() / 1000);
      this.report = {
        ...this.report,
        state: error ? 'partial' : 'ok',
        evaluatedAt: at,
        durationMs: evaluation.durationMs,
        queries: evaluation.queries,
        lastSuccessAt: error ? this.report.lastSuccessAt : at,
        error,
        slos,
      };
      this.notify();
      this.tell('evaluation', error && `evaluation partly failed: ${error.message}`);
    } catch (error) {
      metrics.evaluations.inc({ result: 'failed' });
      const problem = { at: iso(Date.now()), message: (error as Error).message };
      this.report = { ...this.report, state: 'failed', error: problem };
      this.tell('evaluation', `evaluation failed: ${problem.message}`);
    } finally {
      metrics.duration.observe((performance.now() - started) / 1000);
    }
  }

  /**
   * A status that reads no data says since when: the last evaluation that read some, or, if none did since
   * burnbook started, its start. A stopped scrape then reads "no data since 02:31", never as quiet.
   */
  private withDataSince<T extends { labels: Record<string, string>; broken: SloStatus['broken'] }>(
    slo: Slo,
    status: T,
    now: number,
  ): T {
    const seen = this.lastData.get(keyOf(slo)) ?? new Map<string, DataSeen>();
    this.lastData.set(keyOf(slo), seen);
    const key = JSON.stringify(status.labels);
    if (status.broken?.reason !== 'no-data') {
      if (status.broken === null) seen.set(key, { labels: status.labels, at: now });
      return status;
    }
    const last = seen.get(key)?.at;
    // A group that vanished alone is named: the SLO's other groups still read.
    const from = Object.keys(status.labels).length ? ` from ${formatLabels(status.labels)}` : '';
    const since =
      last === undefined
        ? `No data${from} since burnbook started (${iso(this.startedAt)})`
        : `No data${from} since ${iso(last)} (${humanDuration(now - last)} ago)`;
    return { ...status, broken: { ...status.broken, message: `${since}: ${status.broken.message}` } };
  }

  /**
   * A groupBy SLO's groups as the generated absent-SLI rule sees them: a group that read data within
   * `vanishedGroupLookbackMs` and is missing from a complete answer now (its target stopped being scraped
   * while the others still report) is kept as "no data", not dropped; a group that has read no data for
   * longer than that, or not since burnbook started, is dropped (a tenant removed on purpose stops showing
   * and alerting by itself).
   */
  private withVanishedGroups(slo: Slo, status: SloStatus, groups: GroupStatus[], now: number): GroupStatus[] {
    if (!slo.groupBy.length || status.errors.length) return groups;
    const lookback = vanishedGroupLookbackMs(slo);
    const seen = this.lastData.get(keyOf(slo)) ?? new Map<string, DataSeen>();
    // Seen since burnbook started, and within the lookback. A group that vanished before the start is not
    // known to have read data lately: every restart would otherwise report each group gone in the last 30d.
    const fresh = (labels: Record<string, string>) => {
      const at = seen.get(JSON.stringify(labels))?.at;
      return at !== undefined && now - at <= lookback;
    };
    const present = new Set(groups.map((g) => JSON.stringify(g.labels)));
    const vanished: GroupStatus[] = [];
    for (const [key, { labels, at }] of seen) {
      // Forgotten once even the period's window no longer holds it: no answer will bring it back.
      if (now - at > slo.periodMs) seen.delete(key);
      else if (now - at <= lookback && !present.has(key)) vanished.push(vanishedGroup(slo, labels));
    }
    return [...groups.filter((g) => g.broken?.reason !== 'no-data' || fresh(g.labels)), ...vanished];
  }

  /**
   * Which SLOs Prometheus already alerts on (engine.ts). A Prometheus that cannot list its rules (some
   * Thanos or Mimir setups) leaves the last answer in place: at first, burnbook is every SLO's engine.
   */
  private async refreshRules(): Promise<void> {
    try {
      this.rules = prometheusRulesOf(await this.options.prometheus.rules());
    } catch {
      // Kept as it was: the evaluation's own queries report Prometheus's health.
    }
  }

  /** Advances every tier of every group, and returns the statuses with their states filled in. */
  private applyStates(evaluation: Evaluation): SloStatus[] {
    const now = evaluation.at.getTime();
    const seen = new Set<string>();
    const slos = evaluation.slos.map((status, i) => {
      const slo = this.options.slos[i] as Slo;
      const groups = this.withVanishedGroups(
        slo,
        status,
        withHeldGroups(slo, status, this.report.slos[i]),
        now,
      ).map((group) => this.advanceGroup(slo, group, now, seen));
      if (slo.alerting.absent) this.advanceAbsent(slo, slo.alerting.absent, status, groups, now, seen);
      const summary = { ...status, ...summarize(groups, status), groups };
      return {
        ...this.withDataSince(slo, summary, now),
        groups: groups.map((g) => this.withDataSince(slo, g, now)),
        alertEngine: engineOf(slo, this.rules),
      };
    });
    // A group that vanished from a complete answer no longer matches the rule: resolve it, as
    // Prometheus would. With queries failing, its absence proves nothing.
    for (const [key, entry] of this.tracked) {
      if (seen.has(key)) continue;
      const complete = !evaluation.slos.find(
        (s) => s.service === entry.slo.service && s.slo === entry.slo.name,
      )?.errors.length;
      this.track(key, {
        ...entry,
        state: advance(entry.state, complete ? false : null, now, entry.tier.forMs),
      });
    }
    const longestShort = Math.max(
      0,
      ...this.options.slos.flatMap((s) => s.alerting.tiers.map((t) => t.shortMs)),
    );
    for (const [key, at] of this.lastFired) if (at < now - longestShort) this.lastFired.delete(key);
    return slos;
  }

  /**
   * Advances the group's tiers, fastest first: a slower tier's settled clause reads whether a faster one
   * fired within its short window, this evaluation included (see `incidentCondition`).
   */
  private advanceGroup(slo: Slo, group: GroupStatus, now: number, seen: Set<string>): GroupStatus {
    const ratioNow = group.errorRatios[formatDuration(BASE_WINDOW_MS)] ?? null;
    const fasterFiredAt: number[] = [];
    const tiers = group.tiers.map((status, t) => {
      const tier = slo.alerting.tiers[t] as Tier;
      const key = trackKey(slo, group.labels, tier);
      seen.add(key);
      const previous = this.tracked.get(key);
      // Where Prometheus runs the SLO's rules, their state is the truth; burnbook's own would race it.
      // A silent tier (alerting disabled) is measured and shown burning, but never fires.
      const silent = slo.alerting.silent.includes(tier.name);
      const memory = { firing: previous?.state.state === 'firing', fasterFiredAt };
      const state =
        engineOf(slo, this.rules) === 'prometheus'
          ? prometheusTierState(this.rules, slo, tier, group.labels)
          : advance(
              previous?.state ?? INACTIVE,
              silent ? false : incidentCondition(slo, tier, status.burning, ratioNow, memory, now),
              now,
              tier.forMs,
            );
      if (state.state === 'firing') this.lastFired.set(key, now);
      const lastFired = this.lastFired.get(key);
      if (lastFired !== undefined) fasterFiredAt.push(lastFired);
      // While a tier holds, its `$value` is the long window's ratio now, as the rule's hold clause gives it.
      const alert =
        (status.burning || state.state === 'firing') && status.longErrorRatio !== null
          ? alertContent(slo, tier, group.labels, status.longErrorRatio, this.options.alertOptions)
          : previous?.alert;
      this.track(key, { slo, tier, state, ...(alert ? { alert } : {}) });
      return {
        ...status,
        firing: state.state === 'firing',
        state: state.state,
        ...(state.activeAt === undefined ? {} : { activeAt: iso(state.activeAt) }),
      };
    });
    return { ...group, tiers };
  }

  /**
   * The SLO's absent-SLI alert, with its `for`, as the generated rule keeps it: for the whole SLO when no
   * group reads a usable SLI, else for each group that does not (a group that vanished alone, see
   * `withVanishedGroups`), with that group's labels.
   */
  private advanceAbsent(
    slo: Slo,
    absent: AbsentAlert,
    status: SloStatus,
    groups: GroupStatus[],
    now: number,
    seen: Set<string>,
  ): void {
    const whole = absentHolds(status);
    const advanceFor = (labels: Record<string, string>, holds: boolean | null) => {
      const key = trackKey(slo, labels, absent);
      seen.add(key);
      const previous = this.tracked.get(key);
      const state = advance(previous?.state ?? INACTIVE, holds, now, absent.forMs);
      const alert = holds ? absentContent(slo, absent, labels, this.options.alertOptions) : previous?.alert;
      this.track(key, { slo, tier: absent, state, ...(alert ? { alert } : {}) });
    };
    advanceFor({}, whole);
    if (!slo.groupBy.length) return;
    for (const group of groups)
      advanceFor(group.labels, whole === null ? null : !whole && group.broken !== null);
  }

  private track(key: string, entry: Tracked): void {
    if (entry.state.state === 'inactive') this.tracked.delete(key);
    else this.tracked.set(key, entry);
  }

  /**
   * Sends what fires and what resolved to Alertmanager, in the background: a slow or hanging Alertmanager
   * once held every evaluation for its timeout. While a post is in flight the next evaluations send
   * nothing; the one after it sends the state of then (firing alerts stay valid for a few intervals, so
   * a skipped post loses nothing). Never rejects.
   */
  private notify(): void {
    const { alertmanager, metrics, intervalMs, alertOptions } = this.options;
    if (!alertmanager || !this.report.alertmanager || this.notifying) return;
    // Valid from when it is sent, not from the evaluation's instant (whole seconds, and a slow evaluation
    // before it): a short interval's few seconds of validity must not have run out on arrival.
    const now = Date.now();
    const alerts = [...this.tracked.values()].flatMap(({ slo, state, alert }) => {
      // Prometheus sends these itself (engine.ts): a second copy would race them.
      if (engineOf(slo, this.rules) === 'prometheus') return [];
      const sent =
        alert &&
        postable(
          alert,
          state,
          now,
          VALID_INTERVALS * Math.max(intervalMs, RESEND_DELAY_MS),
          alertOptions.urls.generator(slo),
        );
      return sent ? [sent] : [];
    });
    if (!alerts.length) return;
    const post = async () => {
      const status = this.report.alertmanager;
      try {
        await alertmanager.postAlerts(alerts, this.notifyAborted.signal);
        metrics.notifications.inc({ result: 'ok' });
        if (status) this.report.alertmanager = { ...status, lastSentAt: iso(now), error: null };
        this.tell('alertmanager', null);
      } catch (error) {
        if (this.stopped) return;
        metrics.notifications.inc({ result: 'failed' });
        this.tell('alertmanager', `sending alerts to Alertmanager failed: ${(error as Error).message}`);
        if (status) {
          this.report.alertmanager = {
            ...status,
            error: { at: iso(Date.now()), message: (error as Error).message },
          };
        }
      }
    };
    this.notifying = post().finally(() => {
      this.notifying = undefined;
    });
  }
}
