/**
 * Group commit for the webhook. The store fsyncs every commit (synchronous=FULL: an alert Alertmanager saw
 * acknowledged must survive a power cut, since Alertmanager forgets it after a 2xx), and one fsync costs
 * 0.2–1 ms here: committing each request on its own caps the receiver at a few thousand requests/s. So one
 * commit is in flight at a time, and everything that arrives while it runs waits to form the next one: a
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
  #queue: Waiting<T, R>[] = [];
  #draining: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;

  constructor(options: GroupCommitOptions<T, R>) {
    this.#options = options;
  }

  /** Resolves once the item is committed, with its result; rejects when its commit failed. */
  submit(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new QueueClosedError());
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#draining || this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.#drain();
      });
    });
  }

  /** Commits what waits and refuses anything more: for shutdown, before the store closes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#drain();
  }

  #drain(): Promise<void> {
    this.#draining ??= (async () => {
      while (this.#queue.length > 0) await this.#commit(this.#queue.splice(0, this.#options.maxBatch));
      this.#draining = undefined;
    })();
    return this.#draining;
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
