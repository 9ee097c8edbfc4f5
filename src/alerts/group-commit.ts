/**
 * Group commit for the webhook. The store fsyncs every commit (synchronous=FULL: an alert Alertmanager saw
 * acknowledged must survive a power cut, since Alertmanager forgets it after a 2xx), and one fsync costs
 * about 180 µs: committing each request on its own caps the receiver near 5k requests/s, and under load
 * most of the event loop would wait on the disk. Instead, requests queue what they want stored; the queue
 * is committed in one transaction on the next turn of the event loop (setImmediate: after every request
 * that arrived in the same I/O poll has been parsed), or at once when it reaches `maxBatch`; then every
 * request in it is answered. Same durability, one fsync per batch, and no timer adds latency when idle.
 */

export interface GroupCommitOptions<T, R> {
  /** Commits all items or none (throws), returning one result per item, in order. */
  commit: (items: readonly T[]) => R[];
  /** Commit at once when this many wait, so no transaction holds the event loop for long. */
  maxBatch: number;
  /**
   * Whether a failed batch should be retried item by item: true for a failure that may be one item's
   * fault, so one poisoned body does not fail the requests that happened to share its commit.
   */
  retrySingly: (error: unknown) => boolean;
  /** Told how long each commit took, for metrics. */
  observe?: (seconds: number) => void;
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class QueueClosedError extends Error {
  constructor() {
    super('the alert store is shutting down');
  }
}

export class GroupCommit<T, R> {
  readonly #options: GroupCommitOptions<T, R>;
  #queue: Waiting<T, R>[] = [];
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
      if (this.#queue.length >= this.#options.maxBatch) this.flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Commits everything waiting now. */
  flush(): void {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      try {
        settle(batch, this.#commit(batch.map((w) => w.item)));
      } catch (error) {
        if (batch.length > 1 && this.#options.retrySingly(error)) this.#commitSingly(batch);
        else for (const waiting of batch) waiting.reject(error);
      }
    }
  }

  /** Commits what waits and refuses anything more: for shutdown, before the store closes. */
  close(): void {
    this.flush();
    this.#closed = true;
  }

  #commit(items: readonly T[]): R[] {
    const started = performance.now();
    const results = this.#options.commit(items);
    this.#options.observe?.((performance.now() - started) / 1000);
    return results;
  }

  #commitSingly(batch: Waiting<T, R>[]): void {
    for (const waiting of batch) {
      try {
        settle([waiting], this.#commit([waiting.item]));
      } catch (error) {
        waiting.reject(error);
      }
    }
  }
}

function settle<T, R>(batch: Waiting<T, R>[], results: R[]): void {
  batch.forEach((waiting, i) => {
    waiting.resolve(results[i] as R);
  });
}
