/**
 * Where a webhook body is parsed and validated. A small one (nearly every real delivery) on the spot: a
 * thread hop would cost more than the work. A large one in a worker thread (payload-thread.ts), one at a
 * time, so no body, however hostile, stalls the event loop that serves pages and other webhooks. What waits
 * for the thread is bounded in bytes, and the thread's heap in megabytes: past either the answer says so.
 */
import { Worker } from 'node:worker_threads';
import { type PayloadParseResult, parseWebhookBody } from './payload.ts';

export type CheckRequest = { id: number; body: Uint8Array };
export type CheckReply = { id: number; result: PayloadParseResult };

/** More bytes wait for the thread than it may queue: a 503, Alertmanager retries. */
export class CheckerBusyError extends Error {
  override name = 'CheckerBusyError';
}

/** The body took more memory to parse than the thread has: it never will fit, a 413. */
export class BodyTooComplexError extends Error {
  override name = 'BodyTooComplexError';
}

export interface PayloadCheckerOptions {
  /** Bodies up to this many bytes are checked on the calling thread. Default 64 KiB. */
  inlineBytes?: number;
  /** Bytes that may wait for (or be in) the thread at once. Default 32 MiB. */
  maxQueuedBytes?: number;
  /** The thread's heap limit; the worst 8 MiB body measured about 330 MiB. Default 768. */
  maxHeapMb?: number;
  /** The thread stops after this long without work, giving its heap back. Default 30 s. */
  idleMs?: number;
}

export interface PayloadChecker {
  /** Parses and validates a body; rejects with CheckerBusyError or BodyTooComplexError. */
  check(body: Uint8Array): Promise<PayloadParseResult>;
  /** Stops the thread; checks in progress reject with CheckerBusyError. */
  close(): Promise<void>;
}

// 64 KiB of the worst JSON (`[{},{},...]`) parses in a few milliseconds; real deliveries are smaller.
const INLINE_BYTES = 64 * 1024;
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
const MAX_HEAP_MB = 768;
const IDLE_MS = 30_000;
const THREAD_ENTRY = new URL('../../bin/thread.js', import.meta.url);

export function createPayloadChecker(options: PayloadCheckerOptions = {}): PayloadChecker {
  const inlineBytes = options.inlineBytes ?? INLINE_BYTES;
  const maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
  const pending = new Map<
    number,
    { bytes: number; resolve: (result: PayloadParseResult) => void; reject: (error: Error) => void }
  >();
  let queuedBytes = 0;
  let nextId = 0;
  let worker: Worker | undefined;
  let idle: NodeJS.Timeout | undefined;

  const settle = (id: number) => {
    const waiting = pending.get(id);
    pending.delete(id);
    if (waiting) queuedBytes -= waiting.bytes;
    if (pending.size === 0 && worker) {
      const done = worker;
      idle = setTimeout(() => void done.terminate(), options.idleMs ?? IDLE_MS).unref();
    }
    return waiting;
  };

  // Started for a large body, stopped when idle: most servers never see one, and after a hostile one
  // the heap it grew to parse it (hundreds of MiB) goes back to the system.
  function thread(): Worker {
    clearTimeout(idle);
    if (worker) return worker;
    const started = new Worker(THREAD_ENTRY, {
      workerData: { module: new URL('./payload-thread.ts', import.meta.url).href },
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? MAX_HEAP_MB },
    });
    started.unref();
    started.on('message', (reply: CheckReply) => settle(reply.id)?.resolve(reply.result));
    // The thread runs one body at a time, so a heap overflow is the oldest body's; the rest are retried.
    started.on('error', (error) => {
      const oom = (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      const [first] = pending.keys();
      if (oom && first !== undefined) {
        settle(first)?.reject(
          new BodyTooComplexError(
            `body: too many JSON values to check within ${options.maxHeapMb ?? MAX_HEAP_MB} MiB; lower max_alerts in the webhook_config`,
          ),
        );
      }
    });
    started.on('exit', () => {
      if (worker === started) worker = undefined;
      for (const id of [...pending.keys()])
        settle(id)?.reject(new CheckerBusyError('the body checker restarted'));
    });
    worker = started;
    return started;
  }

  return {
    check(body) {
      if (body.byteLength <= inlineBytes) return Promise.resolve(parseWebhookBody(body));
      if (queuedBytes + body.byteLength > maxQueuedBytes) {
        return Promise.reject(
          new CheckerBusyError(`more than ${maxQueuedBytes >> 20} MiB of large bodies wait to be checked`),
        );
      }
      const id = nextId++;
      queuedBytes += body.byteLength;
      return new Promise((resolve, reject) => {
        pending.set(id, { bytes: body.byteLength, resolve, reject });
        // A body that owns its whole buffer moves to the thread without a copy.
        const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
        const message: CheckRequest = { id, body: owned ? body : body.slice() };
        thread().postMessage(message, [message.body.buffer as ArrayBuffer]);
      });
    },
    async close() {
      clearTimeout(idle);
      await worker?.terminate();
    },
  };
}
