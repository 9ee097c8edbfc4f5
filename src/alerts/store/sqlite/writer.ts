/**
 * Every write to the alert store goes through one worker thread (writer-thread.ts): webhook deliveries,
 * group-committed here (group-commit.ts) and committed there, and the evidence and retention writes, so
 * they queue behind one connection instead of contending for SQLite's lock. The main thread keeps its own
 * connection for reads, which WAL lets run while the writer commits. A delivery's promise resolves only
 * after its commit, so the webhook's 2xx still follows the fsync.
 */
import { Worker } from 'node:worker_threads';
import { labelSet } from '../../../prometheus/label-set.ts';
import { GroupCommit, QueueClosedError } from '../group-commit.ts';
import type { Delivery, EvidenceInput, IngestResult } from '../store.ts';
import { isTransientSqliteError } from './faults.ts';

type WriterCommand =
  | { op: 'ingestMany'; deliveries: readonly Delivery[] }
  | { op: 'addEvidence'; evidence: readonly EvidenceInput[] }
  | { op: 'prune'; olderThanMs: number; now: number; limit: number }
  | { op: 'probe' }
  | { op: 'close' };

export type WriterRequest = WriterCommand & { id: number };

type ThreadError = { name: string; message: string; code: string | undefined };
export type WriterReply =
  | { kind: 'ready' }
  | { kind: 'done'; id: number; value: unknown }
  | { kind: 'failed'; id: number; error: ThreadError };

export interface AlertWriter {
  /** Resolves once the thread has opened the store; rejects when it could not. */
  ready: Promise<void>;
  /** Resolves once the delivery is committed, with what it changed. */
  ingest(delivery: Delivery): Promise<IngestResult>;
  addEvidence(...evidence: readonly EvidenceInput[]): Promise<number[]>;
  /** See AlertStore.prune. */
  prune(olderThanMs: number, now: number, limit?: number): Promise<number>;
  /** See AlertStore.probeWrite. */
  probe(): Promise<void>;
  /** Commits what waits, then stops the thread; anything asked after fails with QueueClosedError. */
  close(): Promise<void>;
  /** Why the thread stopped, once it has (it died, or was closed); undefined while it runs. */
  stopped(): Error | undefined;
}

export interface WriterOptions {
  dataDir: string;
  /** Told how long each webhook commit took, for metrics. */
  observeCommit?: (seconds: number) => void;
}

// Deliveries per transaction: enough to share an fsync under load, few enough to commit within a few milliseconds.
const MAX_BATCH = 256;
const THREAD_ENTRY = new URL('../../../../bin/thread.js', import.meta.url);

/** Starts the writer thread on the store in `dataDir`, which openSqliteDatabase has created and migrated. */
export function startAlertWriter(options: WriterOptions): AlertWriter {
  const worker = new Worker(THREAD_ENTRY, {
    workerData: { module: new URL('./writer-thread.ts', import.meta.url).href, dataDir: options.dataDir },
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let stopped: Error | undefined;
  let markReady = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = () => resolve();
    worker.once('error', reject);
  });
  // Handled by whoever awaits it (the server's onReady); until then a failed start is no unhandled rejection.
  ready.catch(() => {});

  worker.on('message', (reply: WriterReply) => {
    if (reply.kind === 'ready') return markReady();
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.kind === 'done') waiting?.resolve(reply.value);
    else waiting?.reject(revive(reply.error));
  });
  // A thread that died took what it had not committed with it: those deliveries fail as transient, so
  // Alertmanager retries them, and so does everything after.
  const stop = (error: Error) => {
    stopped = error;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  worker.on('error', (error) => stop(Object.assign(new QueueClosedError(), { cause: error })));
  worker.on('exit', () => stop(new QueueClosedError()));

  function ask<T>(command: WriterCommand): Promise<T> {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...command, id } satisfies WriterRequest);
    });
  }

  const commits = new GroupCommit<Delivery, IngestResult>({
    async commit(deliveries) {
      const started = performance.now();
      const results = await ask<IngestResult[]>({ op: 'ingestMany', deliveries });
      options.observeCommit?.((performance.now() - started) / 1000);
      return results.map(withLabelSets);
    },
    maxBatch: MAX_BATCH,
    retrySingly: (error) => !isTransientSqliteError(error),
  });

  return {
    ready,
    stopped: () => stopped,
    ingest: (delivery) => commits.submit(delivery),
    addEvidence: (...evidence) => ask({ op: 'addEvidence', evidence }),
    prune: (olderThanMs, now, limit = Number.MAX_SAFE_INTEGER) =>
      ask({ op: 'prune', olderThanMs, now, limit }),
    probe: () => ask({ op: 'probe' }),
    async close() {
      await commits.close();
      if (stopped) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      await ask({ op: 'close' });
      await exited;
    },
  };
}

/** Label sets come back from the thread as plain objects; see label-set.ts for why they must not be. */
function withLabelSets(result: IngestResult): IngestResult {
  return {
    ...result,
    newlyFiring: result.newlyFiring.map((alert) => ({
      ...alert,
      labels: labelSet(alert.labels),
      annotations: labelSet(alert.annotations),
    })),
  };
}

/** An error from the thread, as the receiver's checks expect it: SQLite's code kept, the queue's class restored. */
function revive(error: ThreadError): Error {
  if (error.name === QueueClosedError.name) return new QueueClosedError();
  return Object.assign(new Error(error.message), { name: error.name, code: error.code });
}
