/**
 * Group commit for the webhook. The store fsyncs every commit (synchronous=FULL: an alert Alertmanager saw
 * acknowledged must survive a power cut, since Alertmanager forgets it after a 2xx), and one fsync costs
 * 0.2–1 ms here: committing each request on its own caps the receiver at a few thousand requests/s. So one
 * commit is in flight at a time (or a few, `inFlight`), and everything that arrives meanwhile waits to form
 * the next one: a
 * queue found idle is committed on the next turn of the event loop (setImmediate: after every request that
 * arrived in the same I/O poll has been parsed), a busy one as soon as the commit in flight is done. Same
 * durability, one fsync per batch, batches that grow with the load, and no timer adds latency when idle.
 */

export interface GroupCommitOptions<T, R> {
  /** Commits all items or none (rejects), resolving to one result per item, in order. */
  commit: (items: readonly T[]) => Promise<R[]>;
  /** At most this many items per commit, so no transaction holds the writer for long. */
  maxBatch: number;
  /**
   * Commits that may run at once; default 1. More suits a store whose commits can overlap (PostgreSQL
   * flushes the WAL of concurrent commits together), not one writer thread.
   */
  inFlight?: number;
  /**
   * What an item writes (an alert's fingerprint and start): with several commits in flight, items that share
   * a key go into the same commit or one after another, never into two at once, where they would only wait
   * for each other's locks.
   */
  keys?: (item: T) => readonly string[];
  /**
   * Whether a failed batch should be retried item by item: true for a failure that may be one item's
   * fault, so one poisoned body does not fail the requests that happened to share its commit.
   */
  retrySingly: (error: unknown) => boolean;
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class QueueClosedError extends Error {
  override name = 'QueueClosedError';
  constructor() {
    super('the alert store is shutting down');
  }
}

export class GroupCommit<T, R> {
  readonly #options: GroupCommitOptions<T, R>;
  readonly #inFlight: number;
  #queue: Waiting<T, R>[] = [];
  /** The committers running, by the keys of the batch each commits; each removed in the turn it stops. */
  readonly #running = new Map<Set<string>, Promise<void>>();
  #scheduled = false;
  #closed = false;

  constructor(options: GroupCommitOptions<T, R>) {
    this.#options = options;
    this.#inFlight = Math.max(1, options.inFlight ?? 1);
  }

  /** Resolves once the item is committed, with its result; rejects when its commit failed. */
  submit(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new QueueClosedError());
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#scheduled || this.#running.size >= this.#inFlight) return;
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#start();
      });
    });
  }

  /** Commits what waits and refuses anything more: for shutdown, before the store closes. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#start();
    while (this.#running.size > 0) await Promise.all(this.#running.values());
  }

  /** A committer that takes batches off the queue until nothing is left for it, if another may run. */
  #start(): void {
    if (this.#queue.length === 0 || this.#running.size >= this.#inFlight) return;
    const held = new Set<string>();
    // Registered before its first batch is taken, so that batch already avoids the others' keys.
    this.#running.set(held, Promise.resolve());
    const committer = (async () => {
      for (;;) {
        held.clear();
        const batch = this.#take(held);
        // In the same turn as the look at the queue: an item submitted from here on finds this committer
        // gone, and starts another; one left behind shares keys with a commit in flight, whose committer takes it.
        if (batch.length === 0) break;
        await this.#commit(batch);
      }
      this.#running.delete(held);
    })();
    // Unless it found nothing to take and is gone already.
    if (this.#running.has(held)) this.#running.set(held, committer);
  }

  /** The next batch: oldest first, skipping items that share a key with another commit in flight. */
  #take(held: Set<string>): Waiting<T, R>[] {
    const { keys, maxBatch } = this.#options;
    if (!keys) return this.#queue.splice(0, maxBatch);
    const busy = new Set<string>();
    for (const other of this.#running.keys()) if (other !== held) for (const key of other) busy.add(key);
    const batch: Waiting<T, R>[] = [];
    this.#queue = this.#queue.filter((waiting) => {
      if (batch.length >= maxBatch) return true;
      const itemKeys = keys(waiting.item);
      // A skipped item blocks its keys too, so items of the same key keep their order.
      if (itemKeys.some((key) => busy.has(key))) {
        for (const key of itemKeys) busy.add(key);
        return true;
      }
      for (const key of itemKeys) held.add(key);
      batch.push(waiting);
      return false;
    });
    return batch;
  }

  async #commit(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.#options.commit(batch.map((w) => w.item));
      batch.forEach((waiting, i) => {
        waiting.resolve(results[i] as R);
      });
    } catch (error) {
      if (batch.length > 1 && this.#options.retrySingly(error)) {
        for (const waiting of batch) await this.#commit([waiting]);
      } else for (const waiting of batch) waiting.reject(error);
    }
  }
}
